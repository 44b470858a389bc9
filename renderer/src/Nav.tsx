export type View = 'status' | 'history' | 'snapshots' | 'restore' | 'drives' | 'checks'

export const viewTitle: Record<View, string> = {
  status: 'Status',
  history: 'History',
  snapshots: 'Snapshots',
  restore: 'Restore',
  drives: 'Add a drive',
  checks: 'Checks & sources',
}

/** Views inside the one window: real buttons in tab order, the current one marked for screen readers. */
export function Nav({ view, onChange }: { view: View; onChange: (v: View) => void }) {
  return (
    <nav aria-label="Views" className="nav">
      <ul>
        {(Object.keys(viewTitle) as View[]).map((v) => (
          <li key={v}>
            <button type="button" className="nav-item" aria-current={v === view ? 'page' : undefined} onClick={() => onChange(v)}>
              {viewTitle[v]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  )
}
