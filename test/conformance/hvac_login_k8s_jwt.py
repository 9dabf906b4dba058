"""Drives the Vault double's kubernetes and jwt auth methods with a real client: Debian's
python3-hvac (hvac 0.11.x), through hvac's own configure / create_role / login methods.

Usage: HVAC_LOGIN_FIXTURES='{"k8s_ok": "<jwt>", ...}' /usr/bin/python3 hvac_login_k8s_jwt.py <double url> <root token>

Python's standard library cannot sign RS256/ES256, so the test (hvac-login-k8s-jwt.test.ts) mints
the JWTs and keys and passes them as one JSON object in HVAC_LOGIN_FIXTURES. Each check prints
"ok <name>" or "FAIL <name>: <reason>"; the script exits 1 when any check fails. Reasons never
include tokens or JWTs. The client, check, expect_error and the summary are hvac_common.py's.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from hvac import exceptions  # noqa: E402
from hvac_common import check, client, configure, expect_error, finish  # noqa: E402

URL = sys.argv[1]
ROOT = sys.argv[2]
configure(URL)
F = json.loads(os.environ["HVAC_LOGIN_FIXTURES"])
K8S = "k8s-conformance"
JWT = "ci-jwt"
ISSUER = F["jwt_issuer"]


root = client(ROOT)
state = {}


@check("setup_policy_and_secret")
def _():
    root.sys.create_or_update_policy("app", {"path": {"secret/data/app/*": {"capabilities": ["read"]}}})
    root.secrets.kv.v2.create_or_update_secret("app/db", {"password": "p"})
    root.secrets.kv.v2.create_or_update_secret("other/db", {"password": "q"})


# ---- kubernetes -----------------------------------------------------------------------------------


@check("k8s_enable_and_configure")
def _():
    root.sys.enable_auth_method("kubernetes", path=K8S)
    assert root.sys.list_auth_methods()["data"][K8S + "/"]["type"] == "kubernetes"
    # hvac 0.11 only accepts certificates for pem_keys and kubernetes_ca_cert.
    root.auth.kubernetes.configure(
        kubernetes_host="https://kubernetes.default.svc",
        kubernetes_ca_cert=F["k8s_ca_cert"],
        pem_keys=[F["k8s_cert"]],
        mount_point=K8S,
    )
    config = root.auth.kubernetes.read_config(mount_point=K8S)
    assert config["kubernetes_host"] == "https://kubernetes.default.svc", config
    assert config["pem_keys"] == [F["k8s_cert"].strip()], config
    assert config["disable_iss_validation"] is True and config["token_reviewer_jwt_set"] is False


@check("k8s_create_role")
def _():
    response = root.auth.kubernetes.create_role(
        "app",
        bound_service_account_names=["app"],
        bound_service_account_namespaces="default,team-*",
        ttl="20m",
        max_ttl="30m",
        policies=["app"],
        mount_point=K8S,
    )
    # No audience on the role: Vault answers 200 with a warning instead of 204 (hvac hands back the JSON).
    assert isinstance(response, dict), response
    assert "does not have an audience configured" in response["warnings"][0], response
    role = root.auth.kubernetes.read_role("app", mount_point=K8S)
    assert role["bound_service_account_names"] == ["app"], role
    assert role["bound_service_account_namespaces"] == ["default", "team-*"], role
    assert role["token_policies"] == ["app"] and role["policies"] == ["app"], role
    assert role["token_ttl"] == 1200 and role["ttl"] == 1200 and role["token_max_ttl"] == 1800, role
    assert role["alias_name_source"] == "serviceaccount_uid", role
    assert root.auth.kubernetes.list_roles(mount_point=K8S)["keys"] == ["app"]


@check("k8s_login")
def _():
    app = client()
    login = app.auth.kubernetes.login("app", F["k8s_ok"], mount_point=K8S)
    auth = login["auth"]
    assert app.token == auth["client_token"] and auth["client_token"].startswith("hvs.")
    assert auth["policies"] == ["app", "default"], auth["policies"]
    assert auth["metadata"] == {
        "role": "app",
        "service_account_name": "app",
        "service_account_namespace": "default",
        "service_account_secret_name": "",
        "service_account_uid": F["k8s_uid"],
    }, auth["metadata"]
    assert auth["lease_duration"] == 1200 and auth["renewable"] is True and auth["orphan"] is True
    assert app.is_authenticated()
    assert app.secrets.kv.v2.read_secret_version("app/db")["data"]["data"] == {"password": "p"}
    expect_error(exceptions.Forbidden, lambda: app.secrets.kv.v2.read_secret_version("other/db"))
    looked = app.auth.token.lookup_self()["data"]
    assert looked["display_name"] == "%s-default-app" % K8S and looked["path"] == "auth/%s/login" % K8S, looked
    state["k8s_app"] = app


@check("k8s_login_glob_namespace")
def _():
    login = client().auth.kubernetes.login("app", F["k8s_team_ns"], mount_point=K8S)
    assert login["auth"]["metadata"]["service_account_namespace"] == "team-a"


@check("k8s_renew_self")
def _():
    renewed = state["k8s_app"].auth.token.renew_self(increment="1h")
    assert 1790 <= renewed["auth"]["lease_duration"] <= 1800, renewed["auth"]["lease_duration"]
    assert "TTL value is capped accordingly" in renewed["warnings"][0]


@check("k8s_login_refused_namespace")
def _():
    error = expect_error(exceptions.Forbidden, lambda: client().auth.kubernetes.login("app", F["k8s_wrong_ns"], mount_point=K8S))
    assert error.errors == ["namespace not authorized"], error.errors


@check("k8s_login_refused_name")
def _():
    error = expect_error(exceptions.Forbidden, lambda: client().auth.kubernetes.login("app", F["k8s_wrong_name"], mount_point=K8S))
    assert error.errors == ["service account name not authorized"], error.errors


@check("k8s_login_refused_signature")
def _():
    error = expect_error(exceptions.Forbidden, lambda: client().auth.kubernetes.login("app", F["k8s_bad_sig"], mount_point=K8S))
    assert error.errors == ["permission denied"], error.errors


@check("k8s_login_refused_expired")
def _():
    error = expect_error(exceptions.Forbidden, lambda: client().auth.kubernetes.login("app", F["k8s_expired"], mount_point=K8S))
    assert error.errors == ["invalid expiration time (exp) claim: token is expired"], error.errors


@check("k8s_login_unknown_role")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.kubernetes.login("nope", F["k8s_ok"], mount_point=K8S))
    assert error.errors == ['invalid role name "nope"'], error.errors


# ---- jwt ------------------------------------------------------------------------------------------


@check("jwt_enable_and_configure")
def _():
    root.sys.enable_auth_method("jwt", path=JWT)
    root.auth.jwt.configure(jwt_validation_pubkeys=F["jwt_pubkeys"], bound_issuer=ISSUER, path=JWT)
    config = root.auth.jwt.read_config(path=JWT)["data"]
    assert config["bound_issuer"] == ISSUER, config
    assert config["jwt_validation_pubkeys"] == [k.strip() for k in F["jwt_pubkeys"]], config
    assert config["default_role"] == "" and config["jwks_url"] == "" and config["oidc_discovery_url"] == "", config


@check("jwt_create_role")
def _():
    root.auth.jwt.create_role(
        "ci",
        user_claim="sub",
        allowed_redirect_uris=[],
        role_type="jwt",
        bound_audiences=["vault"],
        bound_claims={"repository": "org/app"},
        token_policies=["app"],
        token_ttl="20m",
        token_max_ttl="30m",
        path=JWT,
    )
    role = root.auth.jwt.read_role("ci", path=JWT)["data"]
    assert role["role_type"] == "jwt" and role["user_claim"] == "sub", role
    assert role["bound_audiences"] == ["vault"] and role["bound_claims"] == {"repository": "org/app"}, role
    assert role["token_policies"] == ["app"] and role["token_ttl"] == 1200 and role["token_max_ttl"] == 1800, role
    assert role["bound_claims_type"] == "string" and role["verbose_oidc_logging"] is False, role
    assert root.auth.jwt.list_roles(path=JWT)["data"]["keys"] == ["ci"]


@check("jwt_create_role_needs_a_bound_constraint")
def _():
    error = expect_error(
        exceptions.InvalidRequest,
        lambda: root.auth.jwt.create_role("loose", user_claim="sub", allowed_redirect_uris=[], role_type="jwt", path=JWT),
    )
    assert error.errors == ["must have at least one bound constraint when creating/updating a role"], error.errors


@check("jwt_login")
def _():
    ci = client()
    login = ci.auth.jwt.jwt_login("ci", F["jwt_ok"], path=JWT)
    auth = login["auth"]
    assert ci.token == auth["client_token"]
    assert auth["policies"] == ["app", "default"] and auth["metadata"] == {"role": "ci"}, auth
    assert auth["lease_duration"] == 1200 and auth["renewable"] is True
    assert ci.secrets.kv.v2.read_secret_version("app/db")["data"]["data"] == {"password": "p"}
    looked = ci.auth.token.lookup_self()["data"]
    assert looked["display_name"] == "%s-%s" % (JWT, F["jwt_subject"]), looked["display_name"]
    renewed = ci.auth.token.renew_self()
    assert 1190 <= renewed["auth"]["lease_duration"] <= 1200, renewed["auth"]["lease_duration"]


@check("jwt_login_es256")
def _():
    login = client().auth.jwt.jwt_login("ci", F["jwt_es256"], path=JWT)
    assert login["auth"]["metadata"] == {"role": "ci"}


@check("jwt_login_refused_audience")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("ci", F["jwt_wrong_aud"], path=JWT))
    assert error.errors == ["error validating token: invalid audience (aud) claim: audience claim does not match any expected audience"], error.errors


@check("jwt_login_refused_signature")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("ci", F["jwt_bad_sig"], path=JWT))
    assert error.errors == ["error validating token: error verifying token signature: no known key successfully validated the token signature"], error.errors


@check("jwt_login_refused_expired")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("ci", F["jwt_expired"], path=JWT))
    assert error.errors == ["error validating token: invalid expiration time (exp) claim: token is expired"], error.errors


@check("jwt_login_refused_missing_user_claim")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("ci", F["jwt_no_sub"], path=JWT))
    assert error.errors == ['claim "sub" not found in token'], error.errors


@check("jwt_login_refused_bound_claim")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("ci", F["jwt_other_repo"], path=JWT))
    assert error.errors == ['error validating claims: claim "repository" does not match any associated bound claim values'], error.errors


@check("jwt_login_unknown_role")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.jwt.jwt_login("nope", F["jwt_ok"], path=JWT))
    assert error.errors == ['role "nope" could not be found'], error.errors


finish()
