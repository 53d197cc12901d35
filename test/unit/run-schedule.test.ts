import { describe, expect, it } from 'vitest';
import { checkRun, missingSides, openRunSchedule, type Run } from '../../shared/run.ts';

const DAY = 86_400_000;
const T0 = new Date('2026-11-23T09:00:00.000Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const schedule = { schedule: { contributionDeadlineDays: 14, reminderDays: [1, 3, 7], resultApprovalDeadlineDays: 7 } };

function open(): Run {
  return openRunSchedule(schedule, { runId: 'run_aaaaaaaaaaaaaaaaaaaa', agreementId: 'agr_aaaaaaaaaaaaaaaaaaaa', executionName: 'x' }, T0);
}

describe('a run schedule', () => {
  it('fixes the deadline, reminders and escalation when the run opens', () => {
    const run = open();
    expect(run.deadline).toBe(at(14).toISOString());
    expect(run.reminderTimes).toEqual([at(1), at(3), at(7)].map((d) => d.toISOString()));
    expect(run.escalationAt).toBe(at(12).toISOString());
    expect(missingSides(run)).toEqual(['proposer', 'counterparty']);
  });

  it('waits until the first reminder, then sends each reminder once', () => {
    const run = open();
    expect(checkRun(run, at(0.5))).toEqual({ outcome: 'waiting', remindersDue: [], escalate: false, nextCheckAt: at(1).toISOString() });
    const day1 = checkRun(run, at(1));
    expect(day1).toEqual({ outcome: 'waiting', remindersDue: [at(1).toISOString()], escalate: false, nextCheckAt: at(3).toISOString() });
    const sent: Run = { ...run, remindersSent: [at(1).toISOString()] };
    expect(checkRun(sent, at(1))).toMatchObject({ remindersDue: [] });
    // A late check (the workflow was down) sends every missed reminder at once, and only those.
    expect(checkRun(sent, at(8))).toEqual({ outcome: 'waiting', remindersDue: [at(3), at(7)].map((d) => d.toISOString()), escalate: false, nextCheckAt: at(12).toISOString() });
  });

  it('escalates two days before the deadline and lapses at it', () => {
    const run: Run = { ...open(), remindersSent: [at(1), at(3), at(7)].map((d) => d.toISOString()) };
    expect(checkRun(run, at(12))).toMatchObject({ outcome: 'waiting', escalate: true, nextCheckAt: at(14).toISOString() });
    expect(checkRun({ ...run, escalated: true }, at(13))).toMatchObject({ escalate: false, nextCheckAt: at(14).toISOString() });
    expect(checkRun(run, at(14))).toEqual({ outcome: 'lapsed' });
  });

  it('is done as soon as both sides contributed, even past the deadline', () => {
    const both: Run = { ...open(), contributions: { proposer: { acceptedAt: at(2).toISOString(), contributionId: 'a' }, counterparty: { acceptedAt: at(5).toISOString(), contributionId: 'b' } } };
    expect(checkRun(both, at(20))).toEqual({ outcome: 'contributed' });
    expect(missingSides({ contributions: { proposer: { acceptedAt: '', contributionId: '' } } })).toEqual(['counterparty']);
  });

  it('has no escalation when the deadline is too close to the opening', () => {
    const short = openRunSchedule({ schedule: { ...schedule.schedule, contributionDeadlineDays: 2, reminderDays: [1] } }, { runId: 'run_b', agreementId: 'agr_b', executionName: 'y' }, T0);
    expect(short.escalationAt).toBeUndefined();
  });
});
