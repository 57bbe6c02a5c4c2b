// WS /api/v1/ws: the state tree as a snapshot then patches, and commands {id, cmd, args, target} through
// the same registry as REST.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { CommandRegistry } from './registry.js';
import type { StateTree } from './state.js';
import type { Metrics } from './metrics.js';
import { toApiError } from './errors.js';
import { ROLES } from './roles.js';
import type { JsonPatchOp, WsCommand, WsServerMessage } from './ws-protocol.js';

export const WS_MAX_MESSAGE_BYTES = 64 * 1024;

export function wsRoute(app: FastifyInstance, registry: CommandRegistry, state: StateTree, metrics: Metrics): void {
  app.get('/api/v1/ws', { websocket: true, config: { roles: ROLES.filter((r) => r !== 'participant') } }, (socket: WebSocket, req) => {
    const user = req.user!;
    const send = (m: WsServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    const onPatch = (ops: JsonPatchOp[]) => send({ type: 'patch', ops });
    state.on('patch', onPatch);
    metrics.wsClients.inc();
    send({ type: 'hello', user: { username: user.username, role: user.role }, state: state.snapshot(), commands: registry.info(user.role) });

    // A panel that loses its socket while a finger holds the pad cannot send ptz.stop; stop for it.
    const moving = new Set<string>();

    socket.on('message', async (data: Buffer, isBinary: boolean) => {
      let msg: WsCommand;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(data.toString('utf8'));
        if (!msg || typeof msg !== 'object' || typeof msg.cmd !== 'string' || (typeof msg.id !== 'string' && typeof msg.id !== 'number'))
          throw new Error('shape');
      } catch {
        send({ type: 'result', id: 0, ok: false, error: { code: 'bad_message', message: 'expected JSON {id, cmd, args, target?}' } });
        return;
      }
      try {
        const target = typeof msg.target === 'string' ? msg.target : undefined;
        const result = await registry.run(msg.cmd, { user, source: 'ws', target }, msg.args ?? {});
        if (target && msg.cmd === 'ptz.move') moving.add(target);
        if (target && msg.cmd === 'ptz.stop') moving.delete(target);
        send({ type: 'result', id: msg.id, ok: true, result: result ?? null });
      } catch (err) {
        const e = toApiError(err);
        send({ type: 'result', id: msg.id, ok: false, error: { code: e.code, message: e.message } });
      }
    });
    socket.on('close', () => {
      state.off('patch', onPatch);
      metrics.wsClients.dec();
      for (const target of moving)
        registry.run('ptz.stop', { user, source: 'internal', target }, {}).catch((err) => req.log.warn({ target, err: String(err) }, 'stop after disconnect failed'));
    });
    socket.on('error', () => socket.terminate());
  });
}
