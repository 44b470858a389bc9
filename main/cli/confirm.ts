// A typed confirmation for the CLI: the word is read from the terminal (echoed) or, when stdin is piped,
// from its next line. Commands that change permissions or delete a snapshot show what they will run first.
import { createInterface } from 'node:readline/promises'
import { lineReader } from './secret'
import type { Io } from './command'

let piped: ((prompt: string) => Promise<string>) | null = null

function defaultLineReader(): (prompt: string) => Promise<string> {
  if (!process.stdin.isTTY) {
    piped ??= lineReader(process.stdin)
    return async (prompt) => {
      process.stderr.write(prompt)
      return piped!(prompt)
    }
  }
  return async (prompt) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return await rl.question(prompt)
    } finally {
      rl.close()
    }
  }
}

/** True when the user typed `word` (or --yes was given). */
export async function confirmTyped(io: Io, word: string, prompt: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  try {
    const typed = await (io.readLine ?? defaultLineReader())(`${prompt} Type ${word} to go ahead: `)
    return typed.trim() === word
  } catch {
    return false
  }
}
