#!/usr/bin/env bash
# The ranking walk-forward of models/lsr-igru/REPORT.md: for each test year 2019-2024, every row
# trains on the years before Y-1, picks its epoch on Y-1 and scores Y once; then the report (rows,
# seed ensembles, baselines on the same days; both portfolio strategies, 0 and 5 bps) is spliced
# into the REPORT.md and its figures written to models/lsr-igru/walk-forward.json.
#
# Runs that finished are skipped and an interrupted run resumes from its per-epoch checkpoint, so
# the script can be started again until it is through. The budget is declared here and in the
# report: EPOCHS epochs of MAX_DAYS training days drawn (in blocks) from all years before Y-1.
# The runs live under target/, which a new machine lacks: the report step refuses (naming them)
# when rows of the committed walk-forward.json have no runs here, and writes nothing.
# `REPORT=0` trains only (the runs of a row started in one session, the report in a later one).
# The student rows (ROWS=gat-student, gat-student-paper-sizes) train in target/experiments/students
# and report into walk-forward-students.md, keeping their rows in walk-forward-students.json so that
# the sweep can span sessions (YEARS=2019-2021 in one, 2022-2024 in the next).
#
#   scripts/walk-forward.sh                 # all rows: seeds 42-49 (GCN), 42-46 (ablation I), 42-44 (the
#                                           # variants gcn-5d: 5-day label, gcn-pairwise: pairwise loss,
#                                           # gat: the GAT encoder, gat-5d: both, gat-short: the GAT with the
#                                           # short-horizon node features, gat-paper-sizes: the GAT at the paper's
#                                           # sizes (30, 15 / 15, 10), gat-mse: the GAT with the MSE loss on the
#                                           # rank label, gat-base-intraday: the intraday-reversal signal plus the
#                                           # net's correction, gat-base-intraday-weighted: the same with the
#                                           # correction as 0.5 x its daily z-score, gat-residual-label: the within-industry residual
#                                           # label, gat-industry: the GAT with the industry ratios as node features, gat-student and
#                                           # gat-student-paper-sizes: one GAT distilled from the 5-seed GAT
#                                           # ensemble of the same year, at its sizes or the paper's (seeds 42,
#                                           # 43; each first trains its teacher); scripts/device-walk-forward.sh runs the
#                                           # GAT row and the later GCN and ablation seeds on a lent GPU machine)
#   ROWS=gcn GCN_SEEDS=42,43 scripts/walk-forward.sh   # a part (two of these share the 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
EPOCHS=${EPOCHS:-6}
MAX_DAYS=${MAX_DAYS:-500}
YEARS=${YEARS:-2019-2024}
ROWS=${ROWS:-"gcn ablation-I gcn-5d gcn-pairwise gat"}
# The students and their teacher have a folder and a report of their own.
case " $ROWS " in *" gat-student"*) students=1 ;; *) students=0 ;; esac
if [ $students = 1 ]; then OUT=${OUT:-target/experiments/students}; else OUT=${OUT:-target/experiments/walk-forward}; fi
cargo build --release -p trendcast-trainer
train=(target/release/trendcast-train walk-forward --cpu --threads 1 --years "$YEARS" --out "$OUT"
       --epochs "$EPOCHS" --max-train-days "$MAX_DAYS")
for row in $ROWS; do
  case $row in
    gcn) "${train[@]}" --config trainer/configs/lsr-igru-gcn-normalized.toml --seeds "${GCN_SEEDS:-42,43,44,45,46,47,48,49}" ;;
    ablation-I) "${train[@]}" --config trainer/configs/lsr-igru-gcn-normalized.toml --ablation I --seeds "${ABLATION_SEEDS:-42,43,44,45,46}" ;;
    gcn-5d) "${train[@]}" --config trainer/configs/lsr-igru-gcn-normalized-5d.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gcn-pairwise) "${train[@]}" --config trainer/configs/lsr-igru-gcn-normalized-pairwise.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat) "${train[@]}" --config trainer/configs/lsr-igru-gat-normalized.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-5d) "${train[@]}" --config trainer/configs/lsr-igru-gat-normalized-5d.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-short) "${train[@]}" --config trainer/configs/lsr-igru-gat-short-horizon.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-paper-sizes) "${train[@]}" --config trainer/configs/lsr-igru-gat-normalized-paper-sizes.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-mse) "${train[@]}" --config trainer/configs/lsr-igru-gat-normalized-mse.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-base-intraday) "${train[@]}" --config trainer/configs/lsr-igru-gat-base-intraday.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-base-intraday-weighted) "${train[@]}" --config trainer/configs/lsr-igru-gat-base-intraday-weighted.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-residual-label) "${train[@]}" --config trainer/configs/lsr-igru-gat-residual-label.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    gat-industry) "${train[@]}" --config trainer/configs/lsr-igru-gat-industry.toml --seeds "${VARIANT_SEEDS:-42,43,44}" ;;
    # Students first train their teacher, the GAT row's seeds 42-46 (skipped where done).
    gat-student|gat-student-paper-sizes)
      "${train[@]}" --config trainer/configs/lsr-igru-gat-normalized.toml --seeds 42,43,44,45,46
      "${train[@]}" --config "trainer/configs/lsr-igru-$row.toml" --seeds "${STUDENT_SEEDS:-42,43}" ;;
    *) echo "unknown row $row (gcn, ablation-I, gcn-5d, gcn-pairwise, gat, gat-5d, gat-short, gat-paper-sizes, gat-mse, gat-base-intraday, gat-base-intraday-weighted, gat-residual-label, gat-industry, gat-student, gat-student-paper-sizes)" >&2; exit 2 ;;
  esac
done
[ "${REPORT:-1}" = 0 ] && exit 0
if [ $students = 1 ]; then
  # This sweep needs more than one session's two cores (about 6 core-hours): each session reports
  # the years it has and keeps its rows in walk-forward-students.json (commit it); the next takes
  # the years its own runs lack from there (`--kept`). The teacher is compared at its 5 seeds.
  # students_report SEEDS STEM TITLE SOURCE: each row's first SEEDS seeds into models/lsr-igru/STEM.md,
  # the rows kept in STEM.json, under a header that says what it is and where it comes from.
  students_report() {
    { echo "# $3"
      echo
      echo "$4"
      echo
      target/release/trendcast-train walk-forward-report --dir "$OUT" --kept "models/lsr-igru/$2.json" \
        --max-seeds "$1" --strategies rebalance,dropout:1; } > "models/lsr-igru/$2.md"
  }
  students_report 5 walk-forward-students \
    "The students' walk-forward: one GAT distilled from the 5-seed GAT ensemble, beside that teacher" \
    "Generated by \`scripts/walk-forward.sh\` (\`ROWS=\"gat-student gat-student-paper-sizes\"\`, a chunk of years per session);
years without runs on the reporting machine come from \`walk-forward-students.json\`. See REPORT.md for the choice."
  # The shipped model is one student: each row's first seed alone, so that its row is one ranking
  # with the paired daily test (the teacher row here is one member, not the ensemble).
  students_report 1 walk-forward-students-one-seed \
    "The students' walk-forward at one seed each: the shipped single-model configuration" \
    "Generated by \`scripts/walk-forward.sh\` as walk-forward-students.md, with \`--max-seeds 1\` (seed 42 of every row; the
teacher row is its seed 42, not the 5-seed ensemble the students learned from); years without runs come from
\`walk-forward-students-one-seed.json\`. See REPORT.md for the choice."
  exit 0
fi
target/release/trendcast-train walk-forward-report --dir "$OUT" --report models/lsr-igru/REPORT.md \
  --json models/lsr-igru/walk-forward.json --figures models/lsr-igru/figures --strategies rebalance,dropout:1,dropout:2
