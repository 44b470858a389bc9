import type { DiskCandidate } from '../../preload/contract'
import { bytes } from './format'

export const diskName = (d: DiskCandidate): string => d.byId.split('/').at(-1) ?? d.byId

/** Disks as radio buttons; ineligible ones are shown, disabled, with the reason they may not be erased. */
export function DiskList({ disks, value, onChange }: { disks: DiskCandidate[]; value: string | null; onChange: (byId: string) => void }) {
  return (
    <fieldset className="disks">
      <legend>Pick the disk to erase and use as the backup drive</legend>
      {disks.length === 0 && <p>No disks found. Plug the drive in, then look again.</p>}
      <ul>
        {disks.map((d) => {
          const id = `disk-${diskName(d)}`
          return (
            <li key={d.byId} className={d.eligible ? 'disk' : 'disk ineligible'}>
              <input type="radio" name="disk" id={id} value={d.byId} checked={value === d.byId} disabled={!d.eligible} onChange={() => onChange(d.byId)} aria-describedby={`${id}-about`} />
              <label htmlFor={id}>
                <strong>{[d.model, bytes(d.sizeBytes)].filter(Boolean).join(', ')}</strong>
                <br />
                <code className="by-id">{diskName(d)}</code>
              </label>
              <p id={`${id}-about`} className="muted disk-about">
                {[d.transport?.toUpperCase(), d.serial ? `serial ${d.serial}` : null].filter(Boolean).join(' · ')}
                {!d.eligible && (
                  <span className="why">
                    {' '}
                    Not available: {d.reason ?? 'this disk may not be erased.'}
                  </span>
                )}
              </p>
            </li>
          )
        })}
      </ul>
    </fieldset>
  )
}
