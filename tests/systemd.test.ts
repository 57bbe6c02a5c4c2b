// D8: the box runs as an appliance — the unit is valid, starts on boot and restarts on failure.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

describe('D8 systemd unit', () => {
  it('passes systemd-analyze verify and restarts on failure', () => {
    const out = execFileSync('systemd-analyze', ['verify', 'systemd/diemcau.service'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
    const unit = readFileSync('systemd/diemcau.service', 'utf8');
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/diemcau\/dist\/appliance\/cli\.js start$/m);
  });
});
