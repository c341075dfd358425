import { describe, expect, it } from 'vitest';
import { ReplyTracker, type PipelineStats } from '../reply-tracker.js';

// A pipelined session as the proxy sees it: the client writes three RETRs in one go.
const CLIENT = Buffer.from('USER u\r\nPASS p\r\nUIDL\r\nRETR 1\r\nRETR 2\r\nRETR 3\r\nQUIT\r\n', 'latin1');
const SERVER = Buffer.from([
  '+OK ready',
  '+OK',
  '+OK logged in',
  '+OK', '1 a', '2 b', '3 c', '.',
  '+OK 9 octets', 'hello', '..dot', '.',
  '+OK 0 octets', '.',
  '+OK', 'x', '.',
  '+OK bye',
  '',
].join('\r\n'), 'latin1');

/** Replays the dialogue: login lock-step, then the pipelined burst, each direction split at `cut`. */
function replay(cut: number): PipelineStats {
  const tracker = new ReplyTracker();
  const feedServer = (bytes: Buffer) => {
    const at = Math.min(cut, bytes.length);
    tracker.serverData(bytes.subarray(0, at));
    tracker.serverData(bytes.subarray(at));
  };
  const greeting = SERVER.indexOf('+OK\r\n');
  feedServer(SERVER.subarray(0, greeting));
  const login = CLIENT.indexOf('UIDL');
  tracker.forwardedToServer(tracker.clientData(CLIENT.subarray(0, login)));
  const rest = SERVER.subarray(greeting);
  const afterLogin = rest.indexOf('+OK\r\n1 a');
  feedServer(rest.subarray(0, afterLogin));
  tracker.forwardedToServer(tracker.clientData(CLIENT.subarray(login)));
  feedServer(rest.subarray(afterLogin));
  return tracker.snapshot();
}

describe('the proxy counts commands in flight the same whatever the chunking', () => {
  it('counts five commands in flight, every reply once, and no desync', () => {
    // Act
    const stats = replay(0);

    // Assess
    expect(stats).toEqual({
      commandLines: 7, clientChunks: 2, fetchCommands: 3, repliesCompleted: 8, maxInFlight: 5, maxLinesPerChunk: 5, unexpectedReplies: 0,
    });
  });

  it('gives the same figures when server bytes are split at every offset', () => {
    const reference = replay(0);
    for (let cut = 1; cut < SERVER.length; cut += 1) expect(replay(cut)).toEqual(reference);
  });

  it('treats the line after a SASL "+ " challenge as a response, not a command', () => {
    // Prepare
    const tracker = new ReplyTracker();
    tracker.serverData(Buffer.from('+OK hi\r\n'));

    // Act
    tracker.forwardedToServer(tracker.clientData(Buffer.from('AUTH PLAIN\r\n')));
    tracker.serverData(Buffer.from('+ \r\n'));
    tracker.forwardedToServer(tracker.clientData(Buffer.from('AHUAcA==\r\n')));
    tracker.serverData(Buffer.from('+OK logged in\r\n'));
    tracker.forwardedToServer(tracker.clientData(Buffer.from('RETR 1\r\n')));
    tracker.serverData(Buffer.from('+OK\r\nbody\r\n.\r\n'));

    // Assess
    expect(tracker.snapshot()).toMatchObject({ repliesCompleted: 4, unexpectedReplies: 0, maxInFlight: 1 });
  });
});
