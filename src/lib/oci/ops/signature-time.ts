/**
 * A bundle's creation time: SOURCE_DATE_EPOCH when set (reproducible builds), else now. Its
 * own module so that `oci push` reaches it without loading the signing libraries (they load
 * only when a push signs).
 */
export function signatureCreatedAt(env: NodeJS.ProcessEnv): string {
  const epoch = env.SOURCE_DATE_EPOCH?.trim()
  if (epoch && /^\d+$/.test(epoch) && Number.isSafeInteger(Number(epoch))) return new Date(Number(epoch) * 1000).toISOString()
  return new Date().toISOString()
}
