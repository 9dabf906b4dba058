# Vault Proxy beside the app: it logs in like agent.hcl and adds its own (auto-auth) token to
# every request that comes without one. envject then sends no token at all (method none, inferred
# from VAULT_AGENT_ADDR; envject.proxy.yaml). Run: vault proxy -config=proxy.hcl
pid_file = "/vault/proxy.pid"

vault {
  address = "https://vault.example.com:8200"
}

auto_auth {
  method "kubernetes" {
    mount_path = "auth/kubernetes"
    config = {
      role = "myapp"
    }
  }
}

api_proxy {
  use_auto_auth_token = true
}

# Loopback only: anyone who can reach this listener reads secrets with the proxy's token.
listener "tcp" {
  address     = "127.0.0.1:8100"
  tls_disable = true
}
