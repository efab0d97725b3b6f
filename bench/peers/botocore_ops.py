"""botocore's operation layer on bench_ops's cases (bench/peers/ops_cases.json),
timed as bench_ops times uvaws: warm-up, then RUNS runs of N operations, N
chosen so that a run takes about 0.1 s; one JSON line a case and a run.

Serializing is what botocore does to a call's parameters before it signs
(ParamValidator, then the protocol's serializer); parsing is the protocol's
response parser on the answer, into the output dictionary. --check prints
each case's output once, for bench/run_ops.sh to compare with uvaws's.

usage: botocore_ops.py [--runs N] [--check]
"""
import json
import os
import sys
import time

import botocore.parsers
import botocore.serialize
import botocore.session
import botocore.validate

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_RUN_NS = 100e6


def prepare(session, case):
    model = session.get_service_model(case['service'])
    op = model.operation_model(case['operation'])
    protocol = model.metadata['protocol']
    serializer = botocore.serialize.create_serializer(protocol, include_validation=True)
    parser = botocore.parsers.create_parser(protocol)
    answer = {'status_code': 200, 'headers': {}, 'body': case['answer'].encode()}

    def serialize():
        return serializer.serialize_to_request(case['params'], op)

    def parse():
        out = parser.parse(answer, op.output_shape)
        out.pop('ResponseMetadata', None)
        return out

    return serialize, parse


def per_op_ns(fn, n):
    t0 = time.thread_time_ns()
    for _ in range(n):
        fn()
    return (time.thread_time_ns() - t0) / n


def main(argv):
    runs, check = 7, '--check' in argv
    if '--runs' in argv:
        runs = int(argv[argv.index('--runs') + 1])
    with open(os.path.join(HERE, 'ops_cases.json')) as f:
        cases = json.load(f)
    session = botocore.session.get_session()
    ready = []
    for case in cases:
        serialize, parse = prepare(session, case)
        if check:
            print(json.dumps({'name': case['name'], 'output': parse()}, default=str))
            continue
        sizes = []
        for fn in (serialize, parse):
            ns = per_op_ns(fn, 200)  # warm-up, which also sizes a run
            sizes.append(max(1, int(TARGET_RUN_NS / ns)))
        ready.append((case, serialize, parse, sizes))
    for run in range(0 if check else runs):
        for j in range(len(ready)):
            case, serialize, parse, sizes = ready[(j + run) % len(ready)]
            print(json.dumps({'name': case['name'], 'protocol': case['protocol'], 'run': run,
                              'peer': 'botocore',
                              'serialize_ns': round(per_op_ns(serialize, sizes[0]), 1),
                              'parse_ns': round(per_op_ns(parse, sizes[1]), 1)}))


if __name__ == '__main__':
    main(sys.argv[1:])
