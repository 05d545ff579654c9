import type { FaultCatalogue } from '../common/fault-switches.ts';

export const deployerFaults = {
  'refuse-phone-home': {
    breaks: 'a node presenting the valid bootstrap token completes phone-home and receives its install plan',
  },
  'accept-any-token': {
    breaks: 'phone-home requires the bootstrap token: a wrong token is refused',
  },
  'forget-preregistered-on-restart': {
    breaks: 'a pre-registered node survives a deployer restart',
  },
  'non-idempotent-preregister': {
    breaks: 'replaying the same admin pre-register request yields the same node, no duplicate',
  },
  'revoked-token-accepted': {
    breaks: 'a revoked bootstrap token is refused at phone-home like a token never issued',
  },
  'omit-binary-cache-url': {
    breaks: "a node's desired system names the binary cache (binary_cache_url) its closure is substituted from",
  },
  'unsigned-narinfo': {
    breaks: "the binary cache serves each narinfo signed with the lab's cache key",
  },
  'foreign-signed-narinfo': {
    breaks: "the binary cache's narinfo signatures are made with the key nodes trust, not another",
  },
  'serve-altered-bundle': {
    breaks:
      'the flake bundle a node downloads is the one the deployer records serving it: the bytes served have the recorded sha256',
  },
  'restart-noop': {
    breaks:
      "a restart request restarts the service: a new process (another pid or start time) answers afterwards (the lab's node supervisor honours this switch)",
  },
  'apply-drops-desired-system': {
    breaks: "an apply keeps every field of the generated cluster state: each class's desired system is applied",
  },
  'apply-duplicates-nodes': {
    breaks: 'a re-apply of the same cluster state changes nothing: no node is registered twice',
  },
} satisfies FaultCatalogue;
