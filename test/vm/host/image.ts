import { execa } from 'execa'
import { imageRecipe } from './paths'

export interface VmImage {
  dir: string
}

/** Builds the image or takes it from the cache; the recipe script prints its folder as the last line. */
export async function ensureImage(): Promise<VmImage> {
  const started = Date.now()
  const { stdout } = await execa('bash', [imageRecipe], { stderr: 'inherit' })
  const dir = stdout.trim().split('\n').pop()!
  console.error(`[vm] image ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  return { dir }
}
