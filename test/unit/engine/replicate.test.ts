// The fence around syncoid (replication.engine "syncoid"), and the commands a dry run of the native engine shows.
import { describe, expect, it } from 'vitest'
import { assertSyncoidFence } from '../../../main/engine/replicate'
import type { Runner } from '../../../main/system/runner'
import { fixture } from '../system/fixtures'

const pools: Runner = { run: async (argv) => ({ argv, exitCode: 0, stdout: fixture('zpool-list.txt'), stderr: '', durationMs: 1 }) }
const drive = { name: 'T7', pool: 'backup', poolGuid: '16412717767768173259', disk: '/dev/disk/by-id/usb-x', targets: {} }

describe('syncoid, fenced', () => {
  it('accepts a target inside the pool imported by the drive\'s GUID', async () => {
    await expect(assertSyncoidFence(pools, drive, [{ source: 'tank/home', target: 'backup/home' }])).resolves.toBeUndefined()
  })

  it("refuses ':' in any name handed to it: syncoid would read host:dataset and start ssh", async () => {
    await expect(assertSyncoidFence(pools, drive, [{ source: 'tank/home', target: 'backup/evil -oProxyCommand:x' }])).rejects.toMatchObject({ code: 'syncoid-unsafe-name' })
    await expect(assertSyncoidFence(pools, drive, [{ source: 'ta:nk/home', target: 'backup/home' }])).rejects.toMatchObject({ code: 'syncoid-unsafe-name' })
  })

  it('refuses a target outside the drive\'s pool, even in another imported pool', async () => {
    await expect(assertSyncoidFence(pools, drive, [{ source: 'tank/home', target: 'tank/copy' }])).rejects.toMatchObject({ code: 'target-outside-drive' })
    await expect(assertSyncoidFence(pools, { ...drive, poolGuid: '1' }, [{ source: 'tank/home', target: 'backup/home' }])).rejects.toMatchObject({ code: 'target-outside-drive' })
  })
})
