"""Drives the Vault double's aws (IAM) and cert auth methods with real clients: Debian's
python3-hvac (hvac 0.11.x: its own SigV4 signer and its cert login over requests) and
python3-botocore (botocore's SigV4Auth, a second independent signer).

Usage: /usr/bin/python3 hvac_login_aws_cert.py <https url> <root token> <ca.pem>
           <client cert> <client key> <stranger cert> <stranger key>

The double serves HTTPS with a certificate issued by ca.pem; the client certificate is issued by
the same CA for CN web.example.com, the stranger's by another CA. Each check prints "ok <name>"
or "FAIL <name>: <reason>"; the script exits 1 when any check fails. Reasons never include
secret keys, session tokens, signatures or Vault tokens (failure reasons are scrubbed). The
client, control, check, expect_error and the summary are hvac_common.py's.
"""
import json
import sys
from base64 import b64encode

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from hvac import exceptions  # noqa: E402
from hvac_common import check, client, configure, control, expect_error, finish  # noqa: E402

URL, ROOT, CA, CERT, KEY, STRANGER_CERT, STRANGER_KEY = sys.argv[1:8]
ACCOUNT = "123456789012"
ROLE_KEY = {"access_key_id": "ASIAHVACROLE00000001", "secret_access_key": "hvac-role-secret-Q1", "session_token": "hvac-session-W2", "arn": "arn:aws:sts::%s:assumed-role/app/hvac-session" % ACCOUNT}
USER_KEY = {"access_key_id": "AKIAHVACUSER00000001", "secret_access_key": "hvac-user-secret-E3", "arn": "arn:aws:iam::%s:user/ci" % ACCOUNT}
SECRETS = [ROLE_KEY["secret_access_key"], ROLE_KEY["session_token"], USER_KEY["secret_access_key"]]


def scrub(text):
    for secret in SECRETS:
        text = text.replace(secret, "<secret>")
    return text


configure(URL, ca=CA, scrub=scrub)


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text, "a secret leaked into an error"
    assert "Signature=" not in text, "a signature leaked into an error"


root = client(ROOT)


@check("aws_setup")
def _():
    root.sys.enable_auth_method("aws")
    root.sys.enable_auth_method("aws", path="aws-eu")
    methods = root.sys.list_auth_methods()
    assert methods["data"]["aws/"]["type"] == "aws" and methods["data"]["aws-eu/"]["type"] == "aws"
    root.auth.aws.configure(iam_server_id_header_value="vault.example.com")
    root.auth.aws.configure(sts_endpoint="https://sts.eu-west-1.amazonaws.com", mount_point="aws-eu")
    root.auth.aws.create_role("app", auth_type="iam", bound_iam_principal_arn=["arn:aws:iam::%s:role/app" % ACCOUNT], policies=["default"], resolve_aws_unique_ids=False)
    root.auth.aws.create_role("ci", auth_type="iam", bound_iam_principal_arn=["arn:aws:iam::%s:user/*" % ACCOUNT], policies=["default"], mount_point="aws-eu")
    role = root.auth.aws.read_role("app")
    assert role["auth_type"] == "iam" and role["resolve_aws_unique_ids"] is False
    assert root.auth.aws.list_roles()["keys"] == ["app"]
    for key in (ROLE_KEY, USER_KEY):
        view = control("POST", "aws/identities", key)
        assert view["arn"] == key["arn"] and key["secret_access_key"] not in json.dumps(view)


@check("aws_iam_login")
def _():
    c = client()
    resp = c.auth.aws.iam_login(ROLE_KEY["access_key_id"], ROLE_KEY["secret_access_key"], session_token=ROLE_KEY["session_token"], header_value="vault.example.com", role="app")
    assert resp["auth"]["metadata"]["auth_type"] == "iam"
    assert resp["auth"]["metadata"]["account_id"] == ACCOUNT
    assert c.is_authenticated()
    me = c.auth.token.lookup_self()["data"]
    assert me["display_name"] == "aws-app/hvac-session", me["display_name"]
    assert me["path"] == "auth/aws/login"


@check("aws_iam_login_wrong_secret_refused")
def _():
    c = client()
    error = expect_error(exceptions.InvalidRequest, lambda: c.auth.aws.iam_login(ROLE_KEY["access_key_id"], "not-the-secret", session_token=ROLE_KEY["session_token"], header_value="vault.example.com", role="app"))
    text = str(error)
    assert "error making upstream request: received error code 403 from STS:" in text, scrub(text)
    assert "<Code>SignatureDoesNotMatch</Code>" in text
    assert_no_secret(text)
    assert not c.is_authenticated()


@check("aws_iam_login_without_server_id_refused")
def _():
    c = client()
    error = expect_error(exceptions.InvalidRequest, lambda: c.auth.aws.iam_login(ROLE_KEY["access_key_id"], ROLE_KEY["secret_access_key"], session_token=ROLE_KEY["session_token"], role="app"))
    assert 'error validating X-Vault-AWS-IAM-Server-ID header: missing header "X-Vault-AWS-IAM-Server-ID"' in str(error), scrub(str(error))


@check("aws_iam_login_unbound_role_refused")
def _():
    root.auth.aws.create_role("other", auth_type="iam", bound_iam_principal_arn=["arn:aws:iam::%s:role/other" % ACCOUNT])
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.aws.iam_login(ROLE_KEY["access_key_id"], ROLE_KEY["secret_access_key"], session_token=ROLE_KEY["session_token"], header_value="vault.example.com", role="other"))
    assert 'IAM Principal "%s" does not belong to the role "other"' % ROLE_KEY["arn"] in str(error), scrub(str(error))


def botocore_login_params(access_key, secret_key, region, host):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=GetCallerIdentity&Version=2011-06-15"
    request = AWSRequest(method="POST", url="https://%s/" % host, data=body, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access_key, secret_key), "sts", region).add_auth(request)
    headers = {k: [v] for k, v in request.headers.items()}
    assert "Host" not in headers, "botocore signs host without sending it: Vault infers it from the URL"
    return {
        "iam_http_request_method": "POST",
        "iam_request_url": b64encode(request.url.encode()).decode(),
        "iam_request_body": b64encode(body.encode()).decode(),
        "iam_request_headers": b64encode(json.dumps(headers).encode()).decode(),
    }


@check("aws_iam_login_botocore_regional")
def _():
    c = client()
    params = botocore_login_params(USER_KEY["access_key_id"], USER_KEY["secret_access_key"], "eu-west-1", "sts.eu-west-1.amazonaws.com")
    resp = c.login("/v1/auth/aws-eu/login", json=dict(params, role="ci"))
    assert resp["auth"]["metadata"]["account_id"] == ACCOUNT
    assert c.auth.token.lookup_self()["data"]["display_name"] == "aws-eu-ci"


@check("aws_iam_login_botocore_wrong_region_refused")
def _():
    params = botocore_login_params(USER_KEY["access_key_id"], USER_KEY["secret_access_key"], "us-west-2", "sts.us-west-2.amazonaws.com")
    error = expect_error(exceptions.InvalidRequest, lambda: client().login("/v1/auth/aws-eu/login", json=dict(params, role="ci")))
    assert "<Message>Credential should be scoped to a valid region. </Message>" in str(error), scrub(str(error))


@check("cert_setup")
def _():
    root.sys.enable_auth_method("cert")
    # hvac 0.11 open()s `certificate` first: a PEM string only works when no base64 run between
    # slashes is longer than a file name may be, so pass the file.
    root.auth.cert.create_ca_certificate_role("web", CA, allowed_common_names=["*.example.com"], token_policies=["default"], display_name="webapp")
    role = root.auth.cert.read_ca_certificate_role("web")
    assert role["data"]["display_name"] == "webapp"
    assert role["data"]["allowed_common_names"] == ["*.example.com"]
    with open(CA) as f:
        assert role["data"]["certificate"] == f.read()
    assert root.auth.cert.list_certificate_roles()["data"]["keys"] == ["web"]


@check("cert_login")
def _():
    c = client(cert=(CERT, KEY))
    resp = c.auth.cert.login(name="web", cert_pem=CERT, key_pem=KEY)
    meta = resp["auth"]["metadata"]
    assert meta["cert_name"] == "web" and meta["common_name"] == "web.example.com", meta
    assert meta["serial_number"].isdigit()
    assert c.auth.token.lookup_self()["data"]["display_name"] == "cert-webapp"


@check("cert_login_without_name")
def _():
    c = client(cert=(CERT, KEY))
    resp = c.auth.cert.login(cert_pem=CERT, key_pem=KEY)
    assert resp["auth"]["metadata"]["cert_name"] == "web"


@check("cert_login_other_ca_refused")
def _():
    c = client(cert=(STRANGER_CERT, STRANGER_KEY))
    error = expect_error(exceptions.InvalidRequest, lambda: c.auth.cert.login(name="web", cert_pem=STRANGER_CERT, key_pem=STRANGER_KEY))
    assert "invalid certificate or no client certificate supplied" in str(error), str(error)
    assert not c.is_authenticated()


@check("cert_login_without_certificate_refused")
def _():
    c = client()
    error = expect_error(exceptions.InvalidRequest, lambda: c.login("/v1/auth/cert/login", json={"name": "web"}))
    assert "client certificate must be supplied" in str(error), str(error)


finish()
