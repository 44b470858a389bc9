import { useState } from 'react'
import type { DiskCandidate } from '../../preload/contract'
import { bytes } from './format'

export const diskName = (d: DiskCandidate): string => d.byId.split('/').at(-1) ?? d.byId

/** A backup drive is one you can unplug: USB (or FireWire). Internal disks are offered only on request. */
export const isExternal = (d: DiskCandidate): boolean => d.transport === 'usb' || d.transport === 'ieee1394'

/**
 * Disks as radio buttons; ineligible ones are shown, disabled, with the reason they may not be erased.
 * Only external disks are listed unless the user asks for the internal ones too.
 */
export function DiskList({ disks, value, onChange }: { disks: DiskCandidate[]; value: string | null; onChange: (byId: string) => void }) {
  const [internal, setInternal] = useState(false)
  const hidden = disks.filter((d) => !isExternal(d)).length
  const shown = internal ? disks : disks.filter(isExternal)
  return (
    <fieldset className="disks">
      <legend>Pick the disk to erase and use as the backup drive</legend>
      {shown.length === 0 && <p>No disks found. Plug the drive in, then look again.</p>}
      {hidden > 0 && (
        <p className="field">
          <label>
            <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} /> Also show internal disks ({hidden})
          </label>
        </p>
      )}
      <ul>
        {shown.map((d) => {
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
