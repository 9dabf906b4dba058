"""A Python program configured through its environment, run under envject (stdlib only).

It prints, as JSON, which variables it received and how long each value is -- never a value --
and reads the private key envject wrote to a file (the `files:` section), reporting the file's
permissions, size and PEM header line.
"""
import json
import os
import stat
import sys

EXPECTED = ["DB_USER", "DB_PASSWORD", "API_TOKEN", "APP_LOG_LEVEL", "APP_MAX_CONN", "TLS_KEY_FILE"]
CREDENTIALS = ["VAULT_TOKEN", "VAULT_ROLE_ID", "VAULT_SECRET_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]


def describe_key_file(path):
    info = os.stat(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return {
        "mode": oct(stat.S_IMODE(info.st_mode)),
        "bytes": len(text.encode("utf-8")),
        "first_line": text.splitlines()[0] if text else "",  # "-----BEGIN PRIVATE KEY-----", not secret
    }


def main():
    missing = [name for name in EXPECTED if name not in os.environ]
    report = {
        "variables": {name: len(os.environ[name]) for name in EXPECTED if name in os.environ},
        "missing": missing,
        "credentials_seen": [name for name in CREDENTIALS if name in os.environ],
    }
    if "TLS_KEY_FILE" in os.environ:
        report["tls_key_file"] = describe_key_file(os.environ["TLS_KEY_FILE"])
    json.dump(report, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
