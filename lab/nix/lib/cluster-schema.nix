# The cluster authoring schema, shaped like the monorepo's nix/lib/cluster-schema.nix: a typed, validated
# `ultracloud.cluster` module (node classes with install plans and desired systems, nodes with class and role,
# fleet-scheduler services) turned into the generated state `deployer-ctl apply` takes. A malformed module fails
# evaluation with an error naming the field (`ultracloud.cluster.classes.<name>.install_plan.target_disk_by_id: ...`).
let
  fail = path: msg: throw "ultracloud.cluster.${path}: ${msg}";
  namePattern = "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}";
  serviceNamePattern = "[a-z][a-z0-9-]{0,31}";

  # only the named fields; a field not in the schema is an error naming it
  only = path: allowed: value:
    if !builtins.isAttrs value then fail path "must be an attribute set"
    else
      let extra = builtins.filter (k: !builtins.elem k allowed) (builtins.attrNames value);
      in if extra != [ ] then fail "${path}.${builtins.head extra}" "unknown field (allowed: ${builtins.concatStringsSep ", " allowed})" else value;
  str = path: value: if builtins.isString value && value != "" then value else fail path "must be a non-empty string";
  name = path: value:
    if builtins.isString value && builtins.match namePattern value != null then value
    else fail path "must be a name of letters, digits, \".\", \"_\", \":\" or \"-\"";
  nullOr = check: path: value: if value == null then null else check path value;
  names = path: set: builtins.mapAttrs (n: v: builtins.seq (name "${path}.${n}" n) v) set;

  installPlan = path: plan:
    let p = only path [ "nixos_configuration" "disko_config_path" "target_disk_by_id" ] plan;
    in {
      nixos_configuration = name "${path}.nixos_configuration" (p.nixos_configuration or null);
      disko_config_path =
        let v = str "${path}.disko_config_path" (p.disko_config_path or null);
        in if builtins.substring 0 1 v == "/" || builtins.elem ".." (builtins.filter builtins.isString (builtins.split "/" v))
        then fail "${path}.disko_config_path" "must be a path inside the flake bundle" else v;
      target_disk_by_id =
        let v = str "${path}.target_disk_by_id" (p.target_disk_by_id or null);
        in if builtins.substring 0 16 v != "/dev/disk/by-id/" then fail "${path}.target_disk_by_id" "must be a /dev/disk/by-id/... selector" else v;
    };

  desiredSystem = path: desired:
    let d = only path [ "target_system" "health_check_command" ] desired;
    in {
      target_system =
        let v = str "${path}.target_system" (d.target_system or null);
        in if builtins.substring 0 1 v != "/" then fail "${path}.target_system" "must be an absolute store path"
        else builtins.unsafeDiscardStringContext v;
      health_check_command = nullOr str "${path}.health_check_command" (d.health_check_command or null);
    };

  nodeClass = path: cls:
    let c = only path [ "install_plan" "desired_system" ] cls;
    in {
      install_plan = installPlan "${path}.install_plan" (c.install_plan or (fail "${path}.install_plan" "is required"));
      desired_system = nullOr desiredSystem "${path}.desired_system" (c.desired_system or null);
    };

  roles = [ "control-plane" "worker" "gateway" "installer" ];
  node = classes: path: n:
    let v = only path [ "class" "role" "hostname" ] n;
    in {
      class =
        let c = name "${path}.class" (v.class or null);
        in if classes ? ${c} then c else fail "${path}.class" "names no class of ultracloud.cluster.classes (\"${c}\")";
      role =
        let r = v.role or null;
        in if builtins.elem r roles then r else fail "${path}.role" "must be one of ${builtins.concatStringsSep ", " roles}";
      hostname = nullOr name "${path}.hostname" (v.hostname or null);
    };

  service = nodes: path: s:
    let v = only path [ "replicas" "command" "nodes" ] s;
    in {
      replicas =
        let r = v.replicas or null;
        in if builtins.isInt r && r >= 0 && r <= 64 then r else fail "${path}.replicas" "must be an integer 0..64";
      command =
        let c = v.command or null;
        in if c == null then null
        else if builtins.isList c && c != [ ] && builtins.all (x: builtins.isString x) c then c
        else fail "${path}.command" "must be a non-empty argv list of strings, or null";
      nodes =
        let ns = v.nodes or (fail "${path}.nodes" "is required: the nodes a replica may run on");
        in if !builtins.isList ns || ns == [ ] then fail "${path}.nodes" "must be a non-empty list of node names"
        else builtins.map (x: if builtins.isString x && nodes ? ${x} then x else fail "${path}.nodes" "names no node of ultracloud.cluster.nodes (${builtins.toJSON x})") ns;
    };
in
{
  # cluster: { name, classes, nodes, services } → the generated state (schema ultracloud/cluster-state@1)
  evalCluster = cluster:
    let
      c = only "" [ "name" "classes" "nodes" "services" ] cluster;
      classes = names "classes" (c.classes or { });
      nodes = names "nodes" (c.nodes or { });
      services = builtins.mapAttrs (n: v:
        if builtins.match serviceNamePattern n == null then fail "services.${n}" "a service name must be a lower-case name" else v
      ) (c.services or { });
      generated = {
        schema = "ultracloud/cluster-state@1";
        name = name "name" (c.name or null);
        classes = builtins.mapAttrs (n: nodeClass "classes.${n}") classes;
        nodes = builtins.mapAttrs (n: node classes "nodes.${n}") nodes;
        services = builtins.mapAttrs (n: service nodes "services.${n}") services;
      };
    in
    # force every field, so a malformed module fails evaluation itself, not a later reader
    builtins.deepSeq generated generated;
}
