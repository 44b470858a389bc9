import { useId } from 'react'
import type { DriveStatus } from '../../preload/contract'

/** Which drive a view works on; a plain label when there is only one. */
export function DrivePicker({ drives, value, onChange }: { drives: DriveStatus[]; value: string; onChange: (name: string) => void }) {
  const id = useId()
  if (drives.length <= 1) return null
  return (
    <p className="field">
      <label htmlFor={id}>Drive</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {drives.map((d) => (
          <option key={d.name} value={d.name}>
            {d.name}
          </option>
        ))}
      </select>
    </p>
  )
}
