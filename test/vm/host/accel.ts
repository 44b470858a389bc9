import { accessSync, constants, readFileSync } from 'node:fs'

/**
 * TCG unless KVM is real. On this project's build machines /dev/kvm is PVM-only (kvm_pvm): a stock kernel
 * dies there with "KVM internal error", so a kvm device alone proves nothing. ZFSVM_ACCEL overrides.
 */
export function chooseAccel(): { accel: string; cpu: string } {
  const forced = process.env.ZFSVM_ACCEL
  if (forced === 'kvm') return { accel: 'kvm', cpu: 'host' }
  if (forced === 'tcg') return tcg
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK)
    const modules = readFileSync('/proc/modules', 'utf8')
    if (/^kvm_pvm\b/m.test(modules) || !/^kvm_(intel|amd)\b/m.test(modules)) return tcg
    return { accel: 'kvm', cpu: 'host' }
  } catch {
    return tcg
  }
}

const tcg = { accel: 'tcg,thread=multi', cpu: 'max' }
