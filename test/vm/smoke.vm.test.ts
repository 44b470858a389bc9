import { existsSync } from 'node:fs'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { newDrive, plug, unplug, waitFor } from './guest/drives'

describe('the test VM', () => {
  it('runs OpenZFS 2.3 and syncoid 2.2 as root', async () => {
    expect(process.getuid?.()).toBe(0)
    const { stdout } = await execa('zfs', ['version'])
    expect(stdout).toMatch(/zfs-kmod-2\.3\./)
    const syncoid = await execa('syncoid', ['--version'], { reject: false })
    expect(syncoid.stdout + syncoid.stderr).toMatch(/version 2\.[2-9]/)
  })

  it('hot-plugs and unplugs a USB drive that udev names by id', async () => {
    const drive = newDrive('smoke1', 256 * 1024 ** 2)
    await plug(drive)
    const { stdout } = await execa('udevadm', ['info', '--query=property', drive.byId])
    expect(stdout).toContain('ID_BUS=usb')
    await unplug(drive)
    await waitFor('the by-id link to go', () => !existsSync(drive.byId))
  })
})
