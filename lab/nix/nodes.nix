# Every NixOS configuration the reference flake exposes: the canonical entrypoints of the three supported
# profiles plus the six nodes of the VM-cluster harness topology, each with the services it runs.
let
  controlPlane = [ "chainfire" "flaredb" "iam" "nix-agent" ];
  singleNodeCore = [ "chainfire" "flaredb" "iam" "plasmavmc" "prismnet" ];
  worker = [ "node-agent" "plasmavmc" "prismnet" "coronafs" ];
  gateway = [ "apigateway" "flashdns" "fiberlb" "lightningstor" "nightlight" "creditservice" "k8shost" ];
in
{
  # single-node dev profile
  # its VM runs the five services itself, so it gets the memory they need
  single-node-quickstart = { role = "control-plane"; profile = "single-node"; services = singleNodeCore; memoryMiB = 1536; cpus = 2; };
  netboot-all-in-one = { role = "control-plane"; profile = "single-node"; services = singleNodeCore; };

  # 3-node HA control plane (deployer and fleet-scheduler on the bootstrap node)
  node01 = { role = "control-plane"; profile = "ha-control-plane"; services = controlPlane ++ [ "deployer" "fleet-scheduler" ]; };
  node02 = { role = "control-plane"; profile = "ha-control-plane"; services = controlPlane; };
  node03 = { role = "control-plane"; profile = "ha-control-plane"; services = controlPlane; };
  netboot-control-plane = { role = "control-plane"; profile = "ha-control-plane"; services = controlPlane; };

  # the rest of the six-node harness topology
  # node04 also carries a standby chainfire: the temporary learner of chainfire-live-membership-proof
  node04 = { role = "worker"; profile = "vm-cluster"; services = worker ++ [ "chainfire" ]; };
  # node05 also carries a LightningStor replica: the object store survives either of node05 and node06 being lost
  node05 = { role = "worker"; profile = "vm-cluster"; services = worker ++ [ "lightningstor" ]; };
  node06 = { role = "gateway"; profile = "vm-cluster"; services = gateway; };

  # bare-metal bootstrap
  ultracloud-iso = {
    role = "installer";
    profile = "bare-metal-bootstrap";
    services = [ ];
    components = [ "first-boot-automation" "install-target" ];
  };
  baremetal-qemu-control-plane = {
    role = "control-plane";
    profile = "bare-metal-bootstrap";
    services = [ "chainfire" "flaredb" "iam" "deployer" "nix-agent" ];
    installable = true;
  };
  baremetal-qemu-worker = { role = "worker"; profile = "bare-metal-bootstrap"; services = [ "nix-agent" "node-agent" ]; installable = true; };
}
