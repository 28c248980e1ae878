import { streamOrigin } from '../domain/streamPosition.js';
import type { Checkpoint } from '../io/checkpointStore.js';
import type { FaultSink } from '../io/faults.js';
import type { Logger } from '../log.js';
import { FileSource } from '../sources/fileSource.js';
import type { Source } from '../sources/source.js';
import { StreamSource } from '../sources/streamSource.js';
import type { DaemonSettings } from './daemonSettings.js';

type SourceSettings = Pick<DaemonSettings, 'dir' | 'stateDir' | 'maxLineBytes' | 'nats'>;

/**
 * The source the settings name, with what the daemon does differently around it. This is the
 * one place that tells the files from the stream: the daemon holds the result and never asks.
 */
export interface ChosenSource {
  readonly source: Source;
  /** Files can be read again, so a line whose fold threw is left out by a rebuild; a stream's cannot. */
  readonly rereadable: boolean;
  /** Beside the telemetry files, as the reference writes it; in stream mode, in the state dir. */
  readonly performanceStatsDir: string;
  /** What the daemon follows, as its ready line and daemon.json name it. */
  readonly following: { readonly dir: string } | { readonly stream: string };
  /** Logged when no checkpoint fits. */
  readonly fromTheStart: string;
}

/** What the state is of: the telemetry dir, or `nats:<stream>` (known before the checkpoint is read: it must name the same). */
export function sourceOrigin(settings: SourceSettings): string {
  return settings.nats ? streamOrigin(settings.nats.stream) : settings.dir;
}

/** The source, resuming where the checkpoint left it (from the start without one). */
export function chooseSource(settings: SourceSettings, checkpoint: Checkpoint | null, faults: FaultSink, log: Logger): ChosenSource {
  if (settings.nats) {
    return {
      source: new StreamSource(settings.nats, checkpoint?.stream ?? null, faults, log),
      rereadable: false,
      performanceStatsDir: settings.stateDir,
      following: { stream: settings.nats.stream },
      fromTheStart: 'starting from the beginning of the stream',
    };
  }
  return {
    source: new FileSource(settings.dir, settings.maxLineBytes, checkpoint?.positions, faults, log),
    rereadable: true,
    performanceStatsDir: settings.dir,
    following: { dir: settings.dir },
    fromTheStart: 'starting from the beginning of the files',
  };
}
