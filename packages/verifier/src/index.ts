export { Replica, type ReplicaOptions, type ReplicaResult, type ReplicaStatus } from "./replica.js";
export { requireKey, presentedKey, type RequireKeyOptions, type VerifiedRequest } from "./middleware.js";
export { decide, effectiveDeadline, type VerificationRecord, type RotationRecord, type VerifyResult, type InvalidCode } from "./rule.js";
export {
  isWellFormedApiKey,
  wellFormedApiKeyCheck,
  keyShapeReader,
  secretScanningPattern,
  randomCharsFor,
  DEFAULT_KEY_FORMAT,
  type KeyFormat,
  type KeyChecksum,
} from "./format.js";
export { parseHashingSecrets, type HashingSecret, type HashingSecrets } from "./secrets.js";
