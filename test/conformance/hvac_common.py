"""What every hvac conformance script shares: the hvac client, the double's /__double/ control
surface, the check decorator, expect_error and the closing summary.

Imported by hvac_conformance.py, hvac_login_k8s_jwt.py and hvac_login_aws_cert.py, which run as
`/usr/bin/python3 test/conformance/<script>.py` (so this directory is on sys.path). A script
calls configure() once with the double's URL (and, over HTTPS, the CA file; and a scrub function
when failure reasons could carry secrets), declares its checks with @check, and ends with
finish(). Each check prints "ok <name>" or "FAIL <name>: <reason>" (the TS tests parse these
lines); finish() prints "summary: N passed, M failed" and exits 1 when any check failed.
hvac is created with strict_http=True so lists go out as GET ?list=true (node:http rejects the
LIST method).
"""
import json
import ssl
import sys
import traceback
import urllib.request

import hvac

RESULTS = []
_SETTINGS = {"url": None, "ca": None, "scrub": None}


def configure(url, ca=None, scrub=None):
    """The double's URL; `ca` (a PEM file) to verify its HTTPS certificate; `scrub(text)` applied to failure reasons."""
    _SETTINGS.update(url=url, ca=ca, scrub=scrub)


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(_SETTINGS["url"] + "/__double/" + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    context = ssl.create_default_context(cafile=_SETTINGS["ca"]) if _SETTINGS["ca"] else None
    with urllib.request.urlopen(req, context=context) as res:
        text = res.read().decode()
        return json.loads(text) if text.strip() else None


def client(token=None, namespace=None, cert=None):
    verify = _SETTINGS["ca"] if _SETTINGS["ca"] else True
    return hvac.Client(url=_SETTINGS["url"], token=token, namespace=namespace, verify=verify, cert=cert, strict_http=True)


def check(name):
    def wrap(fn):
        try:
            fn()
            RESULTS.append((name, None))
            print("ok " + name, flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal
            where = traceback.extract_tb(error.__traceback__)[-1]
            text = str(error)
            if _SETTINGS["scrub"]:
                text = _SETTINGS["scrub"](text)
            reason = "%s at line %d: %s" % (type(error).__name__, where.lineno, text[:300])
            RESULTS.append((name, reason))
            print("FAIL %s: %s" % (name, reason), flush=True)
        return fn

    return wrap


def expect_error(kind, fn):
    try:
        fn()
    except kind as error:
        return error
    raise AssertionError("expected %s" % kind.__name__)


def finish():
    failed = [name for name, reason in RESULTS if reason]
    print("summary: %d passed, %d failed" % (len(RESULTS) - len(failed), len(failed)), flush=True)
    sys.exit(1 if failed else 0)
