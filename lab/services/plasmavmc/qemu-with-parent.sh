#!/bin/sh
# QEMU for plasmavmc's VMs: SIGKILLed by the kernel when plasmavmc (its parent) dies, however it dies.
exec setpriv --pdeathsig KILL -- "${UCP_PLASMAVMC_QEMU:-qemu-system-x86_64}" "$@"
