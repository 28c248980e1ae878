import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/http/bearerToken.js';
import { isLoopback, parseListenAddress, requireTokenBeyondLoopback } from '../../src/http/listenAddress.js';

describe('parseListenAddress', () => {
  it('reads HOST:PORT, [IPv6]:PORT and off', () => {
    expect(parseListenAddress('127.0.0.1:7467')).toEqual({ host: '127.0.0.1', port: 7467 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListenAddress('off')).toBeNull();
  });

  it.each(['7467', ':7467', '127.0.0.1', '127.0.0.1:65536', '127.0.0.1:-1', '::1:80', 'host:port'])('refuses %j', (raw) => {
    expect(() => parseListenAddress(raw)).toThrow(/--http must be HOST:PORT/);
  });
});

describe('who may listen without a token', () => {
  it('loopback only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.1', '::', '192.168.1.2', 'example.com'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });

  it('beyond loopback a token is required; off needs nothing', () => {
    expect(() => requireTokenBeyondLoopback({ host: '0.0.0.0', port: 80 }, null)).toThrow(/without a token/);
    expect(() => requireTokenBeyondLoopback({ host: '0.0.0.0', port: 80 }, '')).toThrow(/without a token/);
    expect(() => requireTokenBeyondLoopback({ host: '0.0.0.0', port: 80 }, 't')).not.toThrow();
    expect(() => requireTokenBeyondLoopback({ host: '127.0.0.1', port: 80 }, null)).not.toThrow();
    expect(() => requireTokenBeyondLoopback(null, null)).not.toThrow();
  });
});

describe('bearerMatches', () => {
  it('accepts exactly "Bearer <token>"', () => {
    expect(bearerMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerMatches('bearer abc', 'abc')).toBe(false);
    expect(bearerMatches('abc', 'abc')).toBe(false);
    expect(bearerMatches(undefined, 'abc')).toBe(false);
  });
});
