import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, getExtension, hasExtension } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { isKnownScope, type Scope } from "../../authz/scopes.js";

/** Who may call one RPC: the `(warden.v1.access)` option of its method, as proto/warden/v1/options.proto describes. */
export type AccessRule =
  | { kind: "public" }
  | { kind: "caller"; scope: Scope; reporter: boolean }
  /** Public, but a request that sets `field` vouches for someone and needs a caller with `scope`. */
  | { kind: "public-unless-set"; scope: Scope; field: string };

const ACCESS_OPTION = "warden.v1.access";

/**
 * Every method of every service in a descriptor set (as `buf build` writes
 * it), keyed by its gRPC path, with its access rule or with the problem that
 * keeps it from having one. Shared by the server, which refuses to start on a
 * problem, and by `npm run check`.
 */
export function readAccessRules(descriptorSet: Uint8Array): Map<string, AccessRule | string> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const option = registry.getExtension(ACCESS_OPTION);
  const rules = new Map<string, AccessRule | string>();
  for (const file of registry.files) {
    for (const service of file.services) {
      for (const method of service.methods) {
        const path = `/${service.typeName}/${method.name}`;
        const options = method.proto.options;
        if (option === undefined || options === undefined || !hasExtension(options, option)) {
          rules.set(path, `${service.typeName}.${method.name} declares no (${ACCESS_OPTION}) option`);
          continue;
        }
        rules.set(path, toRule(getExtension(options, option) as RawRule, `${service.typeName}.${method.name}`));
      }
    }
  }
  return rules;
}

interface RawRule {
  scope: string;
  public: boolean;
  scopeWhenSet: string;
  reporter: boolean;
}

function toRule(raw: RawRule, method: string): AccessRule | string {
  if (raw.scope !== "" && !isKnownScope(raw.scope)) return `${method}: unknown scope "${raw.scope}"`;
  const scope = raw.scope as Scope;
  if (raw.public) {
    if (raw.scopeWhenSet === "") return raw.scope === "" ? { kind: "public" } : `${method}: public with a scope`;
    if (raw.scope === "") return `${method}: scope_when_set without a scope`;
    return { kind: "public-unless-set", scope, field: snakeToCamel(raw.scopeWhenSet) };
  }
  if (raw.scope === "") return `${method}: neither public nor a scope`;
  return { kind: "caller", scope, reporter: raw.reporter };
}

/** ts-proto names fields in camelCase. */
function snakeToCamel(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The access rules of the descriptor set at `file`. */
export function loadAccessRules(file: string): Map<string, AccessRule | string> {
  return readAccessRules(readFileSync(file));
}
