import type { StepOutcome } from './runFeed'

const mark: Record<StepOutcome, string> = { pending: '○', running: '◐', ok: '✓', skipped: '–', failed: '✗', cancelled: '⊘' }
const said: Record<StepOutcome, string> = { pending: 'waiting', running: 'running', ok: 'done', skipped: 'skipped', failed: 'failed', cancelled: 'cancelled' }

export function StepList({ steps, label }: { steps: { id: string; title: string; outcome: StepOutcome; note?: string }[]; label: string }) {
  return (
    <ol className="steps" aria-label={label}>
      {steps.map((s) => (
        <li key={s.id} className={`step step-${s.outcome}`} aria-current={s.outcome === 'running' ? 'step' : undefined}>
          <span className="step-mark" aria-hidden="true">{mark[s.outcome]}</span>
          <span>{s.title}</span>
          <span className="visually-hidden"> — {said[s.outcome]}</span>
          {s.note && <span className="muted"> — {s.note}</span>}
        </li>
      ))}
    </ol>
  )
}
