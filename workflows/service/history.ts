/**
 * The engine's history events in the shape of the GetExecutionHistory API:
 * `{ timestamp, type, id, previousEventId, <type>EventDetails }`, with the
 * details member named and filled as AWS names and fills it (JSON payloads
 * as strings beside `inputDetails`/`outputDetails`, task resources split into
 * `resourceType` and `resource`). Timestamps are epoch seconds.
 */
import type { Json } from '../engine/json.ts';
import type { HistoryEvent } from '../engine/types.ts';

type Details = Record<string, Json>;

const STATE_TYPES = ['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

/** `arn:aws:states:::lambda:invoke.waitForTaskToken` -> lambda, invoke.waitForTaskToken; a Lambda function ARN -> lambda, the ARN. */
function splitResource(resource: string): { resourceType: string; resource: string } {
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d{0,12}:([a-z0-9-]+):(.+)$/.exec(resource);
  if (m?.[1] && m[2]) return { resourceType: m[1], resource: m[2] };
  const fn = /^arn:aws[a-z-]*:([a-z0-9-]+):/.exec(resource);
  return { resourceType: fn?.[1] ?? 'unknown', resource };
}

function asText(value: Json | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function pick(details: Details, keys: string[]): Details {
  const out: Details = {};
  for (const k of keys) if (details[k] !== undefined) out[k] = details[k];
  return out;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** One engine event as the API returns it; `includeData` false drops inputs and outputs, as includeExecutionData: false does. */
export function apiHistoryEvent(event: HistoryEvent, region: string, includeData = true): Record<string, Json> {
  const d: Details = event.details ?? {};
  const out: Record<string, Json> = { timestamp: event.timestamp / 1000, type: event.type, id: event.id, previousEventId: event.previousEventId };
  const data = (key: 'input' | 'output', value: Json | undefined): Details => (includeData ? { [key]: asText(value), [`${key}Details`]: { truncated: false } } : {});
  const errorCause = pick(d, ['error', 'cause']);
  const type = event.type;
  let member: string | undefined;
  let details: Details | undefined;

  const stateType = STATE_TYPES.find((t) => type === `${t}StateEntered` || type === `${t}StateExited`);
  if (stateType) {
    const entered = type.endsWith('Entered');
    member = entered ? 'stateEnteredEventDetails' : 'stateExitedEventDetails';
    details = { name: asText(d.name), ...data(entered ? 'input' : 'output', entered ? d.input : d.output) };
  } else {
    switch (type) {
      case 'ExecutionStarted':
        details = { ...data('input', d.input), ...pick(d, ['roleArn']) };
        break;
      case 'ExecutionSucceeded':
        details = data('output', d.output);
        break;
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimedOut':
        details = errorCause;
        break;
      case 'TaskScheduled': {
        const r = splitResource(asText(d.resource));
        details = { ...r, region, parameters: asText(d.parameters), ...pick(d, ['timeoutInSeconds', 'heartbeatInSeconds']) };
        break;
      }
      case 'TaskStarted':
        details = splitResource(asText(d.resource));
        break;
      case 'TaskSubmitted':
      case 'TaskSucceeded':
        details = { ...splitResource(asText(d.resource)), ...data('output', d.output) };
        break;
      case 'TaskFailed':
      case 'TaskTimedOut':
        details = { ...splitResource(asText(d.resource)), ...errorCause };
        break;
      case 'LambdaFunctionScheduled':
        details = { resource: asText(d.resource), ...data('input', d.parameters), ...pick(d, ['timeoutInSeconds']) };
        break;
      case 'LambdaFunctionStarted':
        details = undefined;
        break;
      case 'LambdaFunctionSucceeded':
        details = data('output', d.output);
        break;
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
        details = errorCause;
        break;
      case 'MapStateStarted':
        details = pick(d, ['length']);
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
      case 'MapIterationAborted':
        details = pick(d, ['name', 'index']);
        break;
      default:
        details = Object.keys(d).length > 0 ? d : undefined;
    }
    member = `${lowerFirst(type)}EventDetails`;
  }
  if (details && Object.keys(details).length > 0 && member) out[member] = details;
  return out;
}
