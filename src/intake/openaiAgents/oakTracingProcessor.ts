import { DEFAULT_MAX_LINE_BYTES } from '../../decode/decodeLine.js';
import { createLogger, type Logger } from '../../log.js';
import type { OtlpRecord } from '../otlp/otlpRecords.js';
import { writeRecords } from '../otlp/recordWriter.js';
import type { AgentsSpan, AgentsTrace } from './agentsSpans.js';
import { AgentsTraceTranslator, DEFAULT_AGENTS_LIMITS, type AgentsTranslatorLimits } from './agentsTraceTranslator.js';

export interface OakTracingProcessorOptions {
  /** The telemetry directory the records are appended to (created when missing). */
  readonly dir: string;
  /** Longest record the readers accept (default: theirs, 1 MiB); a longer one is refused. */
  readonly maxLineBytes?: number;
  readonly limits?: Partial<AgentsTranslatorLimits>;
  /** Where refusals and write faults are logged (default: warnings as pino JSON on stderr). */
  readonly logger?: Logger;
  /** Milliseconds since the epoch (default Date.now): the time of a trace's start and end. */
  readonly clock?: () => number;
}

/**
 * A tracing processor for the OpenAI Agents SDK (JS): `setTraceProcessors([new
 * OakTracingProcessor({ dir })])`, or `addTraceProcessor` to keep the SDK's own exporter too.
 * Each callback translates what it is given and appends the records at once, through the
 * append-only writer, so a crash loses nothing already called back. It never throws into the
 * agent's run: a record the readers would refuse and a write that fails are logged and counted.
 */
export class OakTracingProcessor {
  private readonly translator: AgentsTraceTranslator;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly maxLineBytes: number;
  /** Records appended, refused (the readers would reject them) and lost to a write fault. */
  readonly counts = { written: 0, refused: 0, failed: 0 };

  constructor(private readonly options: OakTracingProcessorOptions) {
    this.translator = new AgentsTraceTranslator({ ...DEFAULT_AGENTS_LIMITS, ...options.limits });
    this.log = options.logger ?? createLogger('warn', process.stderr);
    this.clock = options.clock ?? (() => Date.now());
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  async onTraceStart(trace: AgentsTrace): Promise<void> {
    this.write(this.translator.traceStarted(trace, this.clock()));
  }

  async onTraceEnd(trace: AgentsTrace): Promise<void> {
    this.write(this.translator.traceEnded(trace, this.clock()));
  }

  async onSpanStart(span: AgentsSpan): Promise<void> {
    this.write(this.translator.spanStarted(span, this.clock()));
  }

  async onSpanEnd(span: AgentsSpan): Promise<void> {
    this.write(this.translator.spanEnded(span, this.clock()));
  }

  /** Every record is on disk when its callback returns: nothing to flush. */
  async forceFlush(): Promise<void> {}

  /** Nothing is held that a record could still come from: a trace not ended was completed by its run. */
  async shutdown(): Promise<void> {}

  private write(records: readonly OtlpRecord[]): void {
    if (records.length === 0) return;
    try {
      const result = writeRecords(this.options.dir, records, this.maxLineBytes);
      this.counts.written += result.written;
      if (result.refused > 0) {
        this.counts.refused += result.refused;
        this.log.warn({ refused: result.refused, reason: result.refusedReason }, 'openai-agents record refused');
      }
    } catch (err) {
      // Appends are not retried: the record may be half-written, and a retry could write it twice.
      this.counts.failed += records.length;
      this.log.error({ err, dir: this.options.dir, records: records.length }, 'openai-agents records not written');
    }
  }
}
