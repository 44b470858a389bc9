// What each notification says. Kept apart from the D-Bus plumbing so the wording can change (or be
// translated) without touching delivery, and so dedupe compares exactly what the user would see.

export type NotificationKind = 'connected' | 'done' | 'failed' | 'stale' | 'key-check'

export interface NotificationContent {
  summary: string
  body: string
  /** 0 low, 1 normal, 2 critical (freedesktop urgency hint). */
  urgency: 0 | 1 | 2
  /** freedesktop category hint, lets the desktop group or style it. */
  category: string
  /** Offer the "Back up now" button (only if the server can show buttons). */
  backupButton: boolean
}

export const APP_NAME = 'ZFS Drive Backup'

export function contentFor(kind: NotificationKind, drive: string, detail: { reason?: string; days?: number; buttons: boolean }): NotificationContent {
  switch (kind) {
    case 'connected':
      return {
        summary: `Backup drive “${drive}” connected`,
        // Without buttons the whole notification is the button; say what clicking it does.
        body: detail.buttons ? 'Back up now, or unplug it to skip this time.' : `Click to open ${APP_NAME} and back up.`,
        urgency: 1,
        category: 'device.added',
        backupButton: detail.buttons,
      }
    case 'done':
      return { summary: 'Backup done — safe to unplug', body: `“${drive}” is exported and powered off.`, urgency: 1, category: 'transfer.complete', backupButton: false }
    case 'failed':
      return { summary: `Backup to “${drive}” failed`, body: detail.reason ?? 'Open the app for details.', urgency: 2, category: 'transfer.error', backupButton: false }
    case 'stale': {
      const days = detail.days ?? 0
      return { summary: `No backup for ${days} day${days === 1 ? '' : 's'}`, body: `Plug in “${drive}” to back up.`, urgency: 1, category: 'transfer', backupButton: false }
    }
    // Quiet (low urgency): a suggestion, not an alarm.
    case 'key-check':
      return {
        summary: 'Time to rehearse your passphrase',
        body: `${detail.days !== undefined ? `Not proven for ${detail.days} days. ` : ''}Check that you still know the passphrase of “${drive}” while it is plugged in (Status → Check the passphrase).`,
        urgency: 0, category: 'device', backupButton: false,
      }
  }
}

export function sameContent(a: NotificationContent, b: NotificationContent): boolean {
  return a.summary === b.summary && a.body === b.body && a.urgency === b.urgency && a.backupButton === b.backupButton
}
