"""Drives the Vault double with a real client: Debian's python3-hvac (hvac 0.11.x).

Usage: /usr/bin/python3 hvac_conformance.py <double url> <root token>

Each check prints "ok <name>" or "FAIL <name>: <reason>"; the script exits 1 when any check
fails (client, control, check, expect_error and the summary are hvac_common.py's). Reasons never
include secret values.
"""
import json
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from hvac import exceptions  # noqa: E402
from hvac_common import check, client, configure, control, expect_error, finish  # noqa: E402

URL = sys.argv[1]
ROOT = sys.argv[2]
configure(URL)


root = client(ROOT)
state = {}

APP_POLICY = {
    "path": {
        "secret/data/app/*": {"capabilities": ["create", "read", "update"]},
        "secret/metadata/app/*": {"capabilities": ["read", "list"]},
        "database/creds/readonly": {"capabilities": ["read"]},
        "sys/leases/revoke": {"capabilities": ["update"]},
    }
}


@check("health")
def _():
    status = root.sys.read_health_status(method="GET")
    assert isinstance(status, dict), "GET sys/health should answer 200 with JSON"
    assert status["initialized"] is True and status["sealed"] is False
    assert status["cluster_name"].startswith("vault-cluster-")
    head = root.sys.read_health_status()  # HEAD
    assert head.status_code == 200 and head.text == ""


@check("policy_write")
def _():
    root.sys.create_or_update_policy("app", APP_POLICY)
    policy = root.sys.read_policy("app")
    assert json.loads(policy["rules"]) == APP_POLICY
    assert "app" in root.sys.list_policies()["policies"]


@check("approle_login")
def _():
    root.auth.approle.create_or_update_approle("app", token_policies=["app"], token_ttl="20m", token_max_ttl="30m")
    role_id = root.auth.approle.read_role_id("app")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("app")["data"]["secret_id"]
    app = client()
    login = app.auth.approle.login(role_id=role_id, secret_id=secret_id)
    auth = login["auth"]
    assert app.token == auth["client_token"] and auth["client_token"].startswith("hvs.")
    assert auth["policies"] == ["app", "default"] and auth["token_policies"] == ["app", "default"]
    assert auth["metadata"] == {"role_name": "app"}
    assert auth["lease_duration"] == 1200 and auth["renewable"] is True and auth["orphan"] is True
    assert login["data"] is None and login["lease_id"] == ""
    assert app.is_authenticated()
    state["app"] = app
    state["role_id"] = role_id


@check("approle_bad_secret_id")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: client().auth.approle.login(role_id=state["role_id"], secret_id="not-a-secret-id"))
    assert error.errors == ["invalid role or secret ID"], error.errors


@check("kv2_create_and_update_with_cas")
def _():
    kv = state["app"].secrets.kv.v2
    first = kv.create_or_update_secret("app/db", {"username": "u1", "password": "p1"}, cas=0)
    assert first["data"]["version"] == 1 and first["data"]["deletion_time"] == ""
    second = kv.create_or_update_secret("app/db", {"username": "u2", "password": "p2"}, cas=1)
    assert second["data"]["version"] == 2 and second["data"]["destroyed"] is False


@check("kv2_cas_mismatch")
def _():
    kv = state["app"].secrets.kv.v2
    error = expect_error(exceptions.InvalidRequest, lambda: kv.create_or_update_secret("app/db", {"username": "u3"}, cas=1))
    assert error.errors == ["check-and-set parameter did not match the current version"], error.errors


@check("kv2_read_latest")
def _():
    secret = state["app"].secrets.kv.v2.read_secret_version("app/db")
    assert secret["data"]["data"] == {"username": "u2", "password": "p2"}
    assert secret["data"]["metadata"]["version"] == 2
    assert secret["mount_type"] == "kv" and secret["lease_duration"] == 0


@check("kv2_read_version")
def _():
    secret = state["app"].secrets.kv.v2.read_secret_version("app/db", version=1)
    assert secret["data"]["data"] == {"username": "u1", "password": "p1"}
    assert secret["data"]["metadata"]["version"] == 1


@check("kv2_read_metadata")
def _():
    meta = state["app"].secrets.kv.v2.read_secret_metadata("app/db")["data"]
    assert meta["current_version"] == 2 and meta["oldest_version"] == 0
    assert sorted(meta["versions"].keys()) == ["1", "2"]
    assert meta["delete_version_after"] == "0s" and meta["max_versions"] == 0 and meta["cas_required"] is False


@check("kv2_delete_version_then_read_it")
def _():
    kv = root.secrets.kv.v2
    kv.delete_secret_versions("app/db", [1])
    error = expect_error(exceptions.InvalidPath, lambda: kv.read_secret_version("app/db", version=1))
    assert error.errors is None, "a deleted version answers an envelope, not an errors list"
    body = json.loads(error.args[0])
    assert body["data"]["data"] is None
    assert body["data"]["metadata"]["deletion_time"] != "" and body["data"]["metadata"]["destroyed"] is False
    assert kv.read_secret_version("app/db")["data"]["metadata"]["version"] == 2


@check("kv2_undelete")
def _():
    kv = root.secrets.kv.v2
    kv.undelete_secret_versions("app/db", [1])
    assert kv.read_secret_version("app/db", version=1)["data"]["data"]["username"] == "u1"


@check("kv2_destroy")
def _():
    kv = root.secrets.kv.v2
    kv.destroy_secret_versions("app/db", [1])
    error = expect_error(exceptions.InvalidPath, lambda: kv.read_secret_version("app/db", version=1))
    assert json.loads(error.args[0])["data"]["metadata"]["destroyed"] is True
    assert kv.read_secret_metadata("app/db")["data"]["versions"]["1"]["destroyed"] is True


@check("kv2_delete_latest")
def _():
    kv = root.secrets.kv.v2
    kv.create_or_update_secret("app/gone", {"k": "v"})
    kv.delete_latest_version_of_secret("app/gone")
    expect_error(exceptions.InvalidPath, lambda: kv.read_secret_version("app/gone"))
    assert kv.read_secret_metadata("app/gone")["data"]["current_version"] == 1


@check("kv2_list")
def _():
    kv = root.secrets.kv.v2
    kv.create_or_update_secret("app/conf/a", {"k": "v"})
    kv.create_or_update_secret("app/conf/b/c", {"k": "v"})
    assert state["app"].secrets.kv.v2.list_secrets("app/conf")["data"]["keys"] == ["a", "b/"]
    assert "app/" in kv.list_secrets("")["data"]["keys"]
    error = expect_error(exceptions.InvalidPath, lambda: kv.list_secrets("app/nothing-here"))
    assert error.errors == []


@check("kv1_write_read_list")
def _():
    kv1 = root.secrets.kv.v1
    written = kv1.create_or_update_secret("legacy/app", {"token": "t1"}, method="PUT", mount_point="kv")
    assert written.status_code == 204 and written.text == ""
    secret = kv1.read_secret("legacy/app", mount_point="kv")
    assert secret["data"] == {"token": "t1"}
    assert secret["lease_duration"] == 2764800 and secret["lease_id"] == "" and secret["renewable"] is False
    assert kv1.list_secrets("legacy", mount_point="kv")["data"]["keys"] == ["app"]
    assert kv1.list_secrets("", mount_point="kv")["data"]["keys"] == ["legacy/"]


@check("token_lookup_self")
def _():
    data = state["app"].auth.token.lookup_self()["data"]
    assert 1100 <= data["ttl"] <= 1200, data["ttl"]
    assert data["policies"] == ["app", "default"] and data["meta"] == {"role_name": "app"}
    assert data["renewable"] is True and data["path"] == "auth/approle/login" and data["creation_ttl"] == 1200
    assert data["expire_time"] and data["type"] == "service"


@check("token_renew_self_capped")
def _():
    app = state["app"]
    renewed = app.auth.token.renew_self(increment="1h")
    auth = renewed["auth"]
    assert 0 < auth["lease_duration"] <= 1800, auth["lease_duration"]
    assert renewed["warnings"] and renewed["warnings"][0].startswith('TTL of "1h0m0s" exceeded the effective max_ttl of "'), renewed["warnings"]
    assert renewed["warnings"][0].endswith('"; TTL value is capped accordingly')
    assert app.auth.token.lookup_self()["data"]["ttl"] <= 1800


@check("root_token_not_renewable")
def _():
    root_data = root.auth.token.lookup_self()["data"]
    assert root_data["ttl"] == 0 and root_data["expire_time"] is None and root_data["renewable"] is False
    error = expect_error(exceptions.InvalidRequest, lambda: root.auth.token.renew_self())
    assert error.errors == ["lease is not renewable"], error.errors


@check("database_creds_lease")
def _():
    root.secrets.database.create_role("readonly", db_name="pg", creation_statements=["CREATE ROLE x"], default_ttl=60, max_ttl=120)
    creds = state["app"].secrets.database.generate_credentials("readonly")
    assert creds["lease_id"].startswith("database/creds/readonly/")
    assert creds["renewable"] is True and creds["lease_duration"] == 60
    assert creds["data"]["username"].startswith("v-approle-readonly-") and creds["data"]["password"]
    state["lease_id"] = creds["lease_id"]


@check("lease_renew_capped")
def _():
    renewed = state["app"].sys.renew_lease(state["lease_id"], increment=300)
    assert renewed["lease_id"] == state["lease_id"] and renewed["renewable"] is True
    assert 0 < renewed["lease_duration"] <= 120, renewed["lease_duration"]
    assert renewed["warnings"][0].startswith('TTL of "5m0s" exceeded the effective max_ttl of "'), renewed["warnings"]


@check("lease_lookup")
def _():
    lease = state["app"].sys.read_lease(state["lease_id"])["data"]
    assert lease["id"] == state["lease_id"] and 0 < lease["ttl"] <= 120 and lease["renewable"] is True


@check("lease_revoke")
def _():
    revoked = state["app"].sys.revoke_lease(state["lease_id"])
    assert revoked.status_code == 204
    error = expect_error(exceptions.InvalidRequest, lambda: root.sys.read_lease(state["lease_id"]))
    assert error.errors == ["invalid lease"], error.errors
    error = expect_error(exceptions.InvalidRequest, lambda: root.sys.renew_lease(state["lease_id"]))
    assert error.errors == ["lease not found"], error.errors
    views = [l for l in control("GET", "leases") if l["lease_id"] == state["lease_id"]]
    assert views and views[0]["state"] == "revoked"


@check("forbidden")
def _():
    error = expect_error(exceptions.Forbidden, lambda: state["app"].secrets.kv.v2.read_secret_version("other/db"))
    assert error.errors == ["1 error occurred:\n\t* permission denied\n\n"], error.errors
    error = expect_error(exceptions.Forbidden, lambda: client("hvs.unknown").secrets.kv.v2.read_secret_version("app/db"))
    assert any("permission denied" in e for e in error.errors)


@check("invalid_path")
def _():
    error = expect_error(exceptions.InvalidPath, lambda: root.secrets.kv.v2.read_secret_version("app/missing"))
    assert error.errors == []
    assert root.read("secret/data/app/missing") is None


@check("invalid_request")
def _():
    error = expect_error(exceptions.InvalidRequest, lambda: root.write("secret/delete/app/db"))
    assert error.errors == ["No version number provided"], error.errors


@check("sealed")
def _():
    control("POST", "seal")
    try:
        error = expect_error(exceptions.VaultDown, lambda: root.secrets.kv.v2.read_secret_version("app/db"))
        assert error.errors == ["Vault is sealed"], error.errors
        assert root.sys.is_sealed() is True
        health = root.sys.read_health_status(method="GET")
        assert health.status_code == 503 and health.json()["sealed"] is True
    finally:
        control("POST", "unseal")
    assert root.sys.is_sealed() is False
    assert root.secrets.kv.v2.read_secret_version("app/db")["data"]["metadata"]["version"] == 2


@check("namespace_header")
def _():
    control("POST", "namespaces", {"path": "admin"})
    control("DELETE", "requests")
    ns = client(ROOT, namespace="admin")
    ns.secrets.kv.v2.create_or_update_secret("app/db", {"where": "admin"})
    assert ns.secrets.kv.v2.read_secret_version("app/db")["data"]["data"] == {"where": "admin"}
    assert root.secrets.kv.v2.read_secret_version("app/db")["data"]["data"]["username"] == "u2"
    # The namespace in the path is the same as the header.
    assert root.read("admin/secret/data/app/db")["data"]["data"] == {"where": "admin"}
    log = control("GET", "requests")
    assert [r["namespace"] for r in log if r["method"] == "POST"] == ["admin"], log
    assert all(r["token_accessor"] for r in log)
    expect_error(exceptions.Forbidden, lambda: client(ROOT, namespace="nowhere").secrets.kv.v2.read_secret_version("app/db"))


@check("token_expiry_revokes_its_leases")
def _():
    short = root.auth.token.create(policies=["app"], ttl="2s")["auth"]
    holder = client(short["client_token"])
    creds = holder.secrets.database.generate_credentials("readonly")
    time.sleep(3)
    expect_error(exceptions.Forbidden, lambda: holder.auth.token.lookup_self())
    view = [l for l in control("GET", "leases") if l["lease_id"] == creds["lease_id"]][0]
    assert view["state"] == "revoked" and view["reason"] == "token-expired", view


finish()
