// Whether a device node or link is there now. One seam for the checks that decide never to touch a pool
// whose disk is gone, so engine tests on stand-in tools can say which disks are plugged in.
import { existsSync } from 'node:fs'

export const devices = {
  present(path: string): boolean {
    return existsSync(path)
  },
}
