# Archived non-product helpers: they must never re-enter the default product surface.
[
  "netboot-worker"
  "plasmavmc-firecracker"
  "k8shost-cni"
  "k8shost-csi"
  "k8shost-controllers"
  "lightningstor-csi"
  "mvisor"
]
