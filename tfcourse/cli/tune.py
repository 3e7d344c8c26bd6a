"""``tfcourse tune``: a KerasTuner search over the course's choices (seed 000's homework).

    tfcourse tune [--space tuning/X.toml] [--tuner random|bayesian|hyperband]
                  [--max-trials N] [--dataset NAME] [--dir tuning/runs/NAME] [--overwrite]
    tfcourse tune ... --workers N                           # chief + N workers on 127.0.0.1
    tfcourse tune ... --role chief  --oracle HOST:PORT      # several machines
    tfcourse tune ... --role worker --oracle HOST:PORT [--worker-id NAME]
    tfcourse tune ... --final-training [--time-budget S]   # then the best configuration, once
    tfcourse tune --report DIR                              # the report of a search, again

Re-running the same command resumes the search; a completed search does
nothing and says so; a changed space needs ``--overwrite``. The work is done
by :mod:`tfcourse.tuning`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys

TUNERS = ("random", "bayesian", "hyperband")
DATASETS = ("mnist", "fashion_mnist", "synthetic")
DEFAULT_DIR = os.path.join("tuning", "runs", "default")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="search activation, initialization, optimizer... with KerasTuner",
        description=(
            "Search the course's MLP or CNN choices (depth, width, conv blocks, activation, "
            "initializer, batch norm, dropout, optimizer, learning rate and decay, batch size) "
            "with KerasTuner, log every trial to TensorBoard with its hyperparameters, then "
            "print the best trials and the best model's test accuracy (or train the best "
            "configuration once more and evaluate that, with --final-training) and write a "
            "report with figures in DIR/report. Re-running the same command resumes the "
            "search."
        ),
    )
    parser.add_argument("--space", default=None, metavar="FILE",
                        help="a TOML or YAML file in tuning/ that narrows the space and sets "
                             "defaults for these flags")
    parser.add_argument("--tuner", choices=TUNERS, default=None,
                        help="search algorithm (default: random)")
    parser.add_argument("--max-trials", type=int, default=None, metavar="N",
                        help="trials at most, random and bayesian (default: 10)")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="default: mnist")
    parser.add_argument("--dir", default=None, metavar="DIR",
                        help=f"search directory (default: {DEFAULT_DIR})")
    parser.add_argument("--overwrite", action="store_true",
                        help="discard the search in --dir and start again")
    parser.add_argument("--objective", default=None,
                        help="metric to optimize (default: val_accuracy)")
    parser.add_argument("--seed", type=int, default=None, help="default: 0")
    parser.add_argument("--validation-split", type=float, default=None, metavar="FRACTION",
                        help="last fraction of the training set held out (default: 0.1)")
    parser.add_argument("--patience", type=int, default=None,
                        help="early-stopping patience in epochs (default: 3)")
    parser.add_argument("--num-train", type=int, default=None, metavar="N",
                        help="use only the first N training examples")
    parser.add_argument("--num-test", type=int, default=None, metavar="N",
                        help="use only the first N test examples")
    parser.add_argument("--hyperband-factor", type=int, default=None, metavar="F",
                        help="Hyperband's reduction factor (default: 3)")
    parser.add_argument("--max-params", type=int, default=None, metavar="N",
                        help="a model with more parameters fails its trial (default: 20000000)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding the dataset files (see `tfcourse data info`)")
    parser.add_argument("--time-budget", type=float, default=None, metavar="S",
                        help="seconds for the search and the final training together: no "
                             "trial starts that would not leave time for both")
    parser.add_argument("--final-training", action="store_true", default=None,
                        help="after the search, train the best configuration on the whole "
                             "training set and evaluate it once on the test set (the search "
                             "itself then never looks at the test set)")
    parser.add_argument("--report", default=None, metavar="DIR",
                        help="write the report of the search in DIR again (DIR/report: "
                             "Markdown and figures) and exit")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json prints the result as JSON on stdout")
    distributed = parser.add_argument_group("distributed search (KerasTuner chief/workers)")
    distributed.add_argument("--workers", type=int, default=None, metavar="N",
                             help="start a chief and N workers on 127.0.0.1 (logs in DIR/logs)")
    distributed.add_argument("--role", choices=("chief", "worker"), default=None,
                             help="run one process of a search spread over machines")
    distributed.add_argument("--oracle", default=None, metavar="HOST:PORT",
                             help="the chief's address (with --workers: default a free port)")
    distributed.add_argument("--worker-id", default=None, metavar="NAME",
                             help="this worker's name (default: worker-HOSTNAME-PID)")
    distributed.add_argument("--connect-timeout", type=float, default=120.0, metavar="S",
                             help="how long a worker waits for the chief and the chief for a "
                                  "first worker (default: 120)")
    distributed.add_argument("--timeout", type=float, default=6 * 3600.0, metavar="S",
                             help="the whole distributed search must end within S seconds "
                                  "(default: 21600)")
    distributed.add_argument("--rpc-timeout", type=float, default=300.0, metavar="S",
                             help="a worker's wait for each answer of the chief (default: 300)")
    parser.add_argument("--skip-report", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run, _parser=parser)


def _check_usage(args: argparse.Namespace) -> None:
    parser = args._parser
    if args.workers is not None and args.role is not None:
        parser.error("--workers starts the chief and the workers itself; leave out --role")
    if args.role is not None and args.oracle is None:
        parser.error(f"--role {args.role} needs --oracle HOST:PORT (the chief's address)")
    if args.worker_id is not None and args.role != "worker":
        parser.error("--worker-id applies to --role worker only")
    if args.worker_id is not None and "chief" in args.worker_id:
        parser.error(f"--worker-id must not contain 'chief' (KerasTuner would take the process "
                     f"for the chief). Received: --worker-id {args.worker_id}")
    if args.role == "worker" and args.overwrite:
        parser.error("--overwrite belongs to the chief (or to --workers); a worker never "
                     "empties the search directory")
    if args.oracle is not None and args.role is None and args.workers is None:
        parser.error("--oracle needs --workers N or --role chief|worker")
    for name in ("connect_timeout", "timeout", "rpc_timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0. Received: {getattr(args, name)}")


def _child_args(config) -> list[str]:
    """The flags every process of a distributed search shares (the resolved settings)."""
    argv = ["--dir", str(config.directory), "--dataset", config.dataset, "--tuner", config.tuner,
            "--max-trials", str(config.max_trials), "--objective", config.objective,
            "--seed", str(config.seed), "--validation-split", repr(config.validation_split),
            "--patience", str(config.patience), "--hyperband-factor",
            str(config.hyperband_factor), "--max-params", str(config.max_params)]
    for flag, value in (("--space", config.space_file), ("--num-train", config.num_train),
                        ("--num-test", config.num_test), ("--data-dir", config.data_dir),
                        ("--time-budget", config.time_budget)):
        if value is not None:
            argv += [flag, str(value)]
    if config.final_training:  # the chief's budget keeps time for it; the launcher runs it
        argv.append("--final-training")
    return argv


def _print_result(result, fmt: str) -> None:
    if result is not None and fmt == "json":
        print(json.dumps(result.to_json(), indent=2))


def _print_logs(config, stream) -> None:
    folder = os.path.join(str(config.directory), "tensorboard")
    print(f"TensorBoard logs (HParams, one run per trial): {folder}; view them with "
          f"tfcourse board --logdir {folder}", file=stream)


def starting(args: argparse.Namespace) -> str:
    if args.role == "worker":
        return f"Tuning worker for the chief at {args.oracle}"
    if args.report is not None:
        return f"Tuning: writing the report of the search in {args.report}"
    where = args.dir or DEFAULT_DIR
    return f"Tuning: KerasTuner search in {where}"


def run(args: argparse.Namespace) -> int:
    try:
        _check_usage(args)
    except SystemExit as usage_error:  # parser.error: message printed, exit status 2
        return int(usage_error.code or 2)
    stream = sys.stderr if args.format == "json" else sys.stdout
    if args.report is not None:
        from tfcourse.tuning import search_report  # noqa: PLC0415

        print(f"Report: {search_report.write_report(args.report)} (figures beside it)",
              file=stream)
        return 0
    from tfcourse.tuning import distributed, search  # noqa: PLC0415

    if args.role == "worker":
        # Fail fast, before loading data, when no chief is there.
        host, port = distributed.parse_address(args.oracle)
        distributed.wait_for_chief(host, port, args.connect_timeout)
        distributed.set_rpc_timeout(args.rpc_timeout)
    if args.role == "chief":
        host, port = distributed.parse_address(args.oracle)
        distributed.check_port_free(host, port)

    config = search.resolve_config(
        args.space, directory=args.dir or DEFAULT_DIR, dataset=args.dataset, tuner=args.tuner,
        max_trials=args.max_trials, objective=args.objective, seed=args.seed,
        validation_split=args.validation_split, patience=args.patience,
        num_train=args.num_train, num_test=args.num_test,
        hyperband_factor=args.hyperband_factor, max_params=args.max_params,
        data_dir=args.data_dir, overwrite=args.overwrite or None,
        time_budget=args.time_budget, final_training=args.final_training,
    )

    if args.workers is not None:
        return _run_launcher(args, config, search, distributed, stream)

    if args.role is None:
        _print_result(search.run_search(config, stream=stream), args.format)
        _print_logs(config, stream)
        return 0

    worker_id = "chief" if args.role == "chief" else (
        args.worker_id or f"worker-{socket.gethostname()}-{os.getpid()}")
    chief_options = {"host": host, "port": port, "connect_timeout": args.connect_timeout,
                     "timeout": args.timeout}
    with search.environment(KERASTUNER_TUNER_ID=worker_id, KERASTUNER_ORACLE_IP=host,
                            KERASTUNER_ORACLE_PORT=str(port)):
        result = search.run_search(config, role=args.role, chief_options=chief_options,
                                   do_report=not args.skip_report, stream=stream)
    _print_result(result, args.format)
    if args.role == "chief" and not args.skip_report:
        _print_logs(config, stream)
    return 0


def _run_launcher(args, config, search, distributed, stream) -> int:
    import time  # noqa: PLC0415

    if args.workers < 1:
        raise ValueError(f"`workers` must be an integer in [1, inf). Received: workers={args.workers}")
    host, port = (distributed.parse_address(args.oracle) if args.oracle
                  else ("127.0.0.1", None))
    if port is not None:
        distributed.check_port_free(host, port)
    state = search.prepare_directory(config)
    config.overwrite = False  # emptied once, here; the chief and workers must not
    if state.completed:
        print(f"The search in {state.directory} is complete ({state.completed_trials} trials); "
              f"nothing to do. Raise --max-trials to continue it, or --overwrite to start "
              f"again.", file=sys.stderr)
        _print_result(search.finish(config, nothing_to_do=True, stream=stream), args.format)
        return 0
    if state.resumed:
        print(f"Resuming the search in {state.directory}: {state.completed_trials} trial(s) "
              f"completed so far.", file=sys.stderr)
    start = time.monotonic()
    distributed.launch(_child_args(config), config.directory, args.workers, host=host,
                       port=port, timeout=args.timeout, connect_timeout=args.connect_timeout,
                       stream=sys.stderr)
    wall = time.monotonic() - start
    print(f"Distributed search finished in {wall:.1f} s", file=sys.stderr)
    result = search.finish(config, stream=stream)
    _print_result(result, args.format)
    _print_logs(config, stream)
    return 0


if __name__ == "__main__":
    # `python -m tfcourse.cli.tune ...`: what the launcher starts for the chief and workers
    # (it works before and after `tune` is listed in tfcourse.cli.main.SUBCOMMANDS).
    from tfcourse.cli import main as cli_main

    if "tune" not in cli_main.SUBCOMMANDS:
        cli_main.SUBCOMMANDS = (*cli_main.SUBCOMMANDS, "tune")
    sys.exit(cli_main.main(["tune", *sys.argv[1:]]))
