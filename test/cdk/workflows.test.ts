import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  type AslState,
  prepareDefinition,
} from '../../lib/local/step-functions/definition.js';
import { stateMachinesFromTemplate } from '../../lib/local/step-functions.js';
import { TRANSIENT_ERROR } from '../../lib/workflows/steps.js';
import { synthService } from './support.js';

type Machines = Record<string, AslDefinition>;
let machines: Machines;

beforeAll(() => {
  const { template } = synthService();
  const resources = template.toJSON().Resources as Parameters<typeof stateMachinesFromTemplate>[0];
  machines = Object.fromEntries(
    stateMachinesFromTemplate(resources, {
      region: 'eu-west-1',
      accountId: '111111111111',
      resolve: (intrinsic) => {
        const getAtt = (intrinsic as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (getAtt?.[1] === 'Arn')
          return `arn:aws:lambda:eu-west-1:111111111111:function:${getAtt[0]}`;
        throw new Error(`cannot resolve ${JSON.stringify(intrinsic)}`);
      },
    }).map((machine) => [machine.name, machine.definition as AslDefinition]),
  );
});

/** Every state of a definition, nested Map processors included, by name. */
function statesOf(definition: AslDefinition): Record<string, AslState> {
  const all: Record<string, AslState> = {};
  const visit = (scope: AslDefinition) => {
    for (const [name, state] of Object.entries(scope.States)) {
      all[name] = state;
      const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (processor) visit(processor);
    }
  };
  visit(definition);
  return all;
}

const machine = (name: string) => machines[`TestStack-${name}Workflow`] as AslDefinition;

describe('Workflows: the state machines the stack deploys', () => {
  it('are the three workflows, each runnable on the local engine (JSONPath only)', () => {
    expect(Object.keys(machines).sort()).toEqual([
      'TestStack-AnnotateWorkflow',
      'TestStack-CleanupWorkflow',
      'TestStack-LoadWorkflow',
    ]);
    for (const [name, definition] of Object.entries(machines)) {
      expect(() => prepareDefinition(name, definition)).not.toThrow();
      expect(JSON.stringify(definition)).not.toContain('JSONata');
    }
  });

  it('name every state "Verb Noun"', () => {
    for (const definition of Object.values(machines)) {
      for (const name of Object.keys(statesOf(definition))) {
        expect(name).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)+$/);
      }
    }
  });

  it('retry every Lambda task on transient errors with backoff (the waiting one on Lambda faults only)', () => {
    for (const definition of Object.values(machines)) {
      for (const [name, state] of Object.entries(statesOf(definition))) {
        if (state.Type !== 'Task') continue;
        const retriers = state.Retry as Array<{ ErrorEquals: string[]; BackoffRate?: number }>;
        const errors = retriers.flatMap((retrier) => retrier.ErrorEquals);
        expect(errors, name).toContain('Lambda.TooManyRequestsException');
        if (name === 'Await Annotations') continue;
        expect(errors, name).toContain(TRANSIENT_ERROR);
        expect(
          retriers.every((retrier) => (retrier.BackoffRate ?? 1) >= 2),
          name,
        ).toBe(true);
      }
    }
  });

  it('pass every Lambda only a step name and ids, keys or page numbers from the state', () => {
    for (const definition of Object.values(machines)) {
      for (const [name, state] of Object.entries(statesOf(definition))) {
        if (state.Type !== 'Task') continue;
        const parameters = JSON.stringify(state.Parameters);
        expect(parameters.length, name).toBeLessThan(400);
        expect(parameters, name).toMatch(/"step":"[a-z][A-Za-z]+"/);
      }
    }
  });

  it('map pages and tasks with an explicit MaxConcurrency and keep no Map results in the state', () => {
    const maps = [
      statesOf(machine('Annotate'))['Upload Pages'],
      statesOf(machine('Load'))['Load Tasks'],
    ];
    for (const map of maps) {
      expect(map?.Type).toBe('Map');
      expect(map?.MaxConcurrency).toBe(10);
      expect(map?.ResultPath).toBeNull();
    }
  });

  it('compensate a failed upload or open with Fail Annotate, and reject a bad request outright', () => {
    const states = statesOf(machine('Annotate'));
    const catchTarget = (name: string) =>
      ((states[name]?.Catch ?? []) as Array<{ ErrorEquals: string[]; Next: string }>).map((c) => [
        c.ErrorEquals,
        c.Next,
      ]);
    expect(catchTarget('Upload Pages')).toEqual([[['States.ALL'], 'Fail Annotate']]);
    expect(catchTarget('Open Run')).toEqual([[['States.ALL'], 'Fail Annotate']]);
    expect(catchTarget('Prepare Annotate')).toEqual([[['States.ALL'], 'Reject Request']]);
    expect(states['Fail Annotate']?.Next).toBe('Annotate Failed');
    expect(states['Annotate Failed']?.Type).toBe('Fail');
  });

  it('wait for annotators only when asked, on a task token', () => {
    const states = statesOf(machine('Annotate'));
    expect(states['Await Annotations']?.Resource).toMatch(/lambda:invoke\.waitForTaskToken$/);
    expect(JSON.stringify(states['Check Wait']?.Choices)).toContain('$.waitForCompletion');
  });

  it('load: plan, then download and merge each task, then finalize', () => {
    const load = machine('Load');
    expect(load.StartAt).toBe('Plan Load');
    const states = statesOf(load);
    expect(states['Plan Load']?.Next).toBe('Load Tasks');
    expect(states['Download Task']?.Next).toBe('Merge Task');
    expect(states['Load Tasks']?.Next).toBe('Finalize Load');
  });
});
