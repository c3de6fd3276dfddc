"""The reference program: the 26-week ML Engineering & AI bootcamp, as plain data.

``ensure_program()`` creates whatever of it is missing and never touches what exists, so a
program manager's edits in the admin survive a second ``seed_demo``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from curriculum.models import Assignment, Module, Program, RubricCriterion

PROGRAM_SLUG = "ml-engineering-ai"
PROGRAM_NAME = "ML Engineering & AI Bootcamp"
PROGRAM_WEEKS = 26
PROGRAM_DESCRIPTION = (
    "A six-month, mentor-led bootcamp that takes software engineers to production machine "
    "learning: statistics and classical models, deep learning and NLP, then big data, MLOps and "
    "deployment, closed by a capstone shipped as a live API or web service."
)

EXERCISE_WEIGHT = 1
PROJECT_WEIGHT = 3
MILESTONE_WEIGHT = 2
FINAL_MILESTONE_WEIGHT = 4


STANDARD_RUBRIC = (
    ("Correctness", "Results are right and the approach fits the problem."),
    ("Code quality", "Readable, tested, reproducible code and a working environment file."),
    ("Communication", "A README that states the question, the method and what the numbers mean."),
)


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    start_week: int
    end_week: int
    expected_hours: int
    description: str
    exercises: tuple[str, str]
    project: str
    rubric: tuple[tuple[str, str], ...] = STANDARD_RUBRIC


# Title, first and last week, expected hours; description; two exercises; the closing project.
# fmt: off
MODULES: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "Python and software engineering for ML", 1, 2, 45,
        "Idiomatic Python, NumPy and pandas, packaging, testing with pytest, Git workflows and "
        "the habits that keep notebooks from turning into unmaintainable code.",
        ("NumPy and pandas drills", "Testing a data pipeline with pytest"),
        "Refactor a notebook into a tested Python package",
    ),
    ModuleSpec(
        "Probability and statistics", 3, 4, 40,
        "Distributions, sampling, estimation, confidence intervals, hypothesis tests, A/B "
        "testing and the Bayesian view, all computed by hand before reaching for a library.",
        ("Simulating distributions", "Hypothesis tests by hand"),
        "Design and analyse an A/B test",
    ),
    ModuleSpec(
        "Data cleaning and transformation", 5, 6, 40,
        "Missing values, outliers, joins, reshaping, feature engineering and data validation on "
        "messy real-world datasets.",
        ("Taming missing values", "Feature engineering with pandas"),
        "Build a validated cleaning pipeline for a public dataset",
    ),
    ModuleSpec(
        "Linear regression", 7, 8, 30,
        "Least squares, gradient descent, regularisation (ridge, lasso), diagnostics and "
        "cross-validation.",
        ("Gradient descent from scratch", "Regularisation and cross-validation"),
        "Predict house prices with an honest validation",
    ),
    ModuleSpec(
        "Logistic regression", 9, 9, 20,
        "Classification, the logistic loss, class imbalance, calibration, precision/recall and "
        "ROC analysis.",
        ("Logistic regression from scratch", "Choosing a decision threshold"),
        "Churn prediction with calibrated probabilities",
    ),
    ModuleSpec(
        "Anomaly detection", 10, 11, 25,
        "Statistical baselines, isolation forests, one-class models and evaluation when labels "
        "are scarce.",
        ("Z-scores and robust baselines", "Isolation forest on transactions"),
        "Detect fraud in card transactions",
    ),
    ModuleSpec(
        "Tree ensembles and other in-demand models", 12, 13, 40,
        "Decision trees, random forests, gradient boosting (XGBoost, LightGBM), SVMs and "
        "k-nearest neighbours; hyperparameter search and model interpretation.",
        ("Random forests and feature importance", "Tuning gradient boosting"),
        "Win a tabular prediction challenge with gradient boosting",
    ),
    ModuleSpec(
        "Unsupervised learning", 14, 15, 35,
        "Clustering (k-means, DBSCAN, hierarchical), dimensionality reduction (PCA, UMAP) and "
        "recommendation basics.",
        ("Clustering customers", "PCA and UMAP for visualisation"),
        "Segment users and explain the segments",
    ),
    ModuleSpec(
        "Deep learning and neural networks", 16, 18, 60,
        "Backpropagation, PyTorch, CNNs, sequence models, training on GPUs, regularisation and "
        "transfer learning.",
        ("A neural network in NumPy", "Transfer learning with PyTorch"),
        "Image classifier trained and evaluated on a GPU",
    ),
    ModuleSpec(
        "NLP and information retrieval", 19, 20, 45,
        "Text preprocessing, embeddings, transformers, semantic search, retrieval-augmented "
        "generation and evaluation of rankings.",
        ("TF-IDF and BM25 search", "Fine-tuning a small transformer"),
        "A semantic search engine over a document collection",
    ),
    ModuleSpec(
        "Big data and production ML systems", 21, 22, 40,
        "Spark, feature stores, experiment tracking, pipelines and orchestration, monitoring and "
        "data drift.",
        ("Feature engineering with Spark", "Tracking experiments with MLflow"),
        "A reproducible training pipeline with monitoring",
    ),
    ModuleSpec(
        "Deploying models as APIs and web services", 23, 24, 40,
        "Serving models with FastAPI, containers, CI/CD, cloud deployment, load testing and "
        "observability.",
        ("Serving a model with FastAPI", "Containerise and load-test a model service"),
        "Deploy a model behind a monitored HTTP API",
    ),
)

CAPSTONE_MODULE = ModuleSpec(
    "Capstone project", 8, 26, 80,
    "An end-to-end project of the learner's choice, from proposal to a deployed API or web "
    "service, reviewed at each milestone by the mentor.",
    ("", ""), "", rubric=(),
)

# (title, due week, weight, description). The deployed service is the last milestone by due
# week and order, so ``Assignment.is_final_milestone`` marks it: its submission carries the
# ``deployment_url`` that the deployment check requests.
MILESTONES: tuple[tuple[str, int, int, str], ...] = (
    ("Capstone proposal", 8, MILESTONE_WEIGHT, "The problem, the data, the success metric."),
    ("Capstone data wrangling", 12, MILESTONE_WEIGHT, "A clean, documented, versioned dataset."),
    ("Capstone prototype", 16, MILESTONE_WEIGHT, "A first model with a baseline comparison."),
    ("Capstone scaled prototype", 20, MILESTONE_WEIGHT,
     "The model trained on the full data, with tracked experiments."),
    ("Capstone deployment plan", 23, MILESTONE_WEIGHT,
     "Architecture, serving, monitoring and rollback plan."),
    ("Capstone deployed API or web service", 26, FINAL_MILESTONE_WEIGHT,
     "The model live behind a public HTTP endpoint; submit its deployment URL."),
)
FINAL_PRESENTATION = ("Capstone final presentation", 26, PROJECT_WEIGHT,
                      "A 15-minute demo and talk to the cohort and mentors.")
# fmt: on
PRESENTATION_RUBRIC = (
    ("Story", "The problem, the approach and the result are clear to a non-specialist."),
    ("Demo", "The deployed service works live."),
    ("Answers", "Questions are answered with evidence."),
)


@dataclass(frozen=True)
class AssignmentSpec:
    title: str
    kind: str
    due_week: int
    weight: int
    module_title: str
    description: str
    rubric: tuple[tuple[str, str], ...] = ()


def assignment_specs() -> list[AssignmentSpec]:
    """Every assignment, ordered by due week (the order field follows this list)."""
    kind = Assignment.Kind
    specs: list[AssignmentSpec] = []
    for module in MODULES:
        first, second = module.exercises
        exercise = f"Exercise for “{module.title}”."
        closing = f"Project closing “{module.title}”, reviewed against the rubric."
        for title, kind_, week, weight, description, rubric in (
            (first, kind.EXERCISE, module.start_week, EXERCISE_WEIGHT, exercise, ()),
            (second, kind.EXERCISE, module.end_week, EXERCISE_WEIGHT, exercise, ()),
            (module.project, kind.PROJECT, module.end_week, PROJECT_WEIGHT, closing, module.rubric),
        ):
            specs.append(
                AssignmentSpec(title, kind_, week, weight, module.title, description, rubric)
            )
    capstone = CAPSTONE_MODULE.title
    specs += [AssignmentSpec(t, kind.MILESTONE, w, wt, capstone, d) for t, w, wt, d in MILESTONES]
    title, week, weight, description = FINAL_PRESENTATION
    specs.append(
        AssignmentSpec(
            title, kind.PROJECT, week, weight, capstone, description, PRESENTATION_RUBRIC
        )
    )
    # Stable sort: within a week, module work first, then milestones, then the presentation;
    # so the deployed service gets the highest order of all milestones.
    specs.sort(key=lambda spec: spec.due_week)
    return specs


def ensure_program() -> Program:
    """The reference program with its modules, assignments and rubrics; creates what is missing."""
    program, _ = Program.objects.get_or_create(
        slug=PROGRAM_SLUG,
        defaults={
            "name": PROGRAM_NAME,
            "length_weeks": PROGRAM_WEEKS,
            "description": PROGRAM_DESCRIPTION,
        },
    )
    have = set(program.modules.values_list("title", flat=True))
    _create_valid(
        Module,
        [
            Module(
                program=program,
                order=order,
                title=spec.title,
                description=spec.description,
                expected_hours=spec.expected_hours,
                start_week=spec.start_week,
                end_week=spec.end_week,
            )
            for order, spec in enumerate((*MODULES, CAPSTONE_MODULE), start=1)
            if spec.title not in have
        ],
    )

    modules = {module.title: module for module in program.modules.all()}
    assignments = {assignment.title: assignment for assignment in program.assignments.all()}
    next_order = max((a.order for a in assignments.values()), default=0) + 1
    missing = [spec for spec in assignment_specs() if spec.title not in assignments]
    _create_valid(
        Assignment,
        [
            Assignment(
                program=program,
                module=modules.get(spec.module_title),
                order=order,
                title=spec.title,
                description=spec.description,
                kind=spec.kind,
                due_week=spec.due_week,
                weight=spec.weight,
            )
            for order, spec in enumerate(missing, start=next_order)
        ],
    )

    rubrics = {spec.title: spec.rubric for spec in assignment_specs()}
    have = set(
        RubricCriterion.objects.filter(assignment__program=program).values_list(
            "assignment_id", "name"
        )
    )
    RubricCriterion.objects.bulk_create(
        RubricCriterion(
            assignment=assignment, order=order, name=name, description=description, max_score=4
        )
        for assignment in program.assignments.all()
        for order, (name, description) in enumerate(rubrics.get(assignment.title, ()), start=1)
        if (assignment.pk, name) not in have
    )
    return program


def _create_valid(model: type[models.Model], rows: Iterable[models.Model]) -> None:
    """Validate every row, then insert them together."""
    rows = list(rows)
    for row in rows:
        row.full_clean()
    model.objects.bulk_create(rows)
