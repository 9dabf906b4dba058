/** Maps a mount and the path inside it to the backend route that serves it. */
import { approleRoute } from "./auth/approle.js";
import { awsRoute } from "./auth/aws.js";
import { certRoute } from "./auth/cert.js";
import { jwtRoute } from "./auth/jwt.js";
import { kubernetesRoute } from "./auth/kubernetes.js";
import { tokenRoute } from "./auth/token.js";
import type { Route } from "./context.js";
import { databaseRoute } from "./engines/database.js";
import { kv1Route } from "./engines/kv1.js";
import { kv2Route } from "./engines/kv2.js";
import type { MountEntry } from "./store/mounts.js";
import { sysRoute } from "./sys/index.js";
import type { LogicalRequest } from "./wire/request.js";

/** The route inside `mount` for `rest` (the path after the mount), by engine kind. */
export function backendRoute(mount: MountEntry, rest: string, req: LogicalRequest): Route {
  const engine = mount.engine;
  switch (engine.kind) {
    case "kv1":
      return kv1Route(engine.store, rest, req);
    case "kv2":
      return kv2Route(engine.store, rest, req);
    case "database":
      return databaseRoute(engine.store, rest, req);
    case "approle":
      return approleRoute(engine.store, rest, req);
    case "aws":
      return awsRoute(engine.store, rest, req);
    case "cert":
      return certRoute(engine.store, rest, req);
    case "kubernetes":
      return kubernetesRoute(engine.store, rest, req);
    case "jwt":
      return jwtRoute(engine.store, mount.type, rest, req);
    case "token":
      return tokenRoute(rest, req);
    case "system":
      return sysRoute(rest, req);
  }
}
