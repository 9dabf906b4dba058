# Vault Agent beside the app: it logs in (here with the pod's Kubernetes service account), keeps
# its token renewed and logs in again when it must, and writes the token to a file sink that
# envject reads (method token_file, envject.yaml). Run: vault agent -config=agent.hcl
pid_file = "/vault/agent.pid"

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

  # A plain token: no wrap_ttl and no dh_type, or envject could not use what it reads.
  sink "file" {
    config = {
      path = "/vault/.token"
      mode = 0640
    }
  }
}
