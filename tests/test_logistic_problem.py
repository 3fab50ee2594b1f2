"""Constrained logistic regression on LIBSVM data: the reader, the data lookup and the derivatives."""

from __future__ import annotations

import bz2
import gzip
import hashlib

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from sketchsqp.errors import ProblemDefinitionError
from sketchsqp.problems.libsvm import parse_svmlight, read_svmlight
from sketchsqp.problems.logistic import (
    DATA_DIR_ENV,
    DATASETS,
    SHIPPED_DATA_DIR,
    constrained_logistic_problem,
    find_libsvm_file,
    load_libsvm_dataset,
    logistic_names,
    logistic_problem,
    plus_minus_one_labels,
    random_linear_constraints,
)

# rows, features, nnz, label counts, sha256 of the .gz: the table of the data README.
EXPECTED = {
    "ionosphere_scale": (351, 34, 10_551, {-1.0: 126, 1.0: 225},
                         "bc2925b0a17dbf30fb9c4f4da9f2e1841a1f0567c0112cb279cfbded4fc68118"),
    "mushrooms": (8_124, 112, 170_604, {1.0: 3_916, 2.0: 4_208},
                  "c1a16afe76235fd676775ce73c94fb5088e28de269f7b4c64ca7955627a17f22"),
    "phishing": (11_055, 68, 331_650, {0.0: 4_898, 1.0: 6_157},
                 "702b9cffd94c269c820e7ff26543e7affd0983c3b7dfc13e6ffed952c8aca53c"),
    "sonar_scale": (208, 60, 12_479, {-1.0: 111, 1.0: 97},
                    "ff205163a66f5baeeaff3766fae6a65d92b2c76815758e8886a963887c689ea1"),
    "splice_scale": (1_000, 60, 60_000, {-1.0: 483, 1.0: 517},
                     "2f903b4fb4e9cd39aa426608096ec6545827119eb7a887597077bf01f135e957"),
    "a9a": (32_561, 123, 451_592, {-1.0: 24_720, 1.0: 7_841},
            "066fec1e4ae361dfbab6a0260eea35f3af9e8a99632bfb101c3aea2a5fd47057"),
    "w8a": (49_749, 300, 579_586, {-1.0: 48_270, 1.0: 1_479},
            "a5245487c48a82207354e8833c0ce6460d1fd3fd922b199223df014f3914441f"),
}
SHIPPED = ["ionosphere_scale", "mushrooms", "phishing", "sonar_scale", "splice_scale"]
NOT_SHIPPED = ["a9a", "w8a"]


@pytest.fixture(autouse=True)
def no_data_dir_from_the_environment(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


# --------------------------------------------------------------------------------------- the files
def test_the_shipped_files_are_the_paper_small_sets_byte_for_byte():
    assert sorted(p.name for p in SHIPPED_DATA_DIR.glob("*.gz")) == sorted(f"{n}.gz" for n in SHIPPED)
    assert [name for name, info in DATASETS.items() if info.shipped] == SHIPPED
    assert (SHIPPED_DATA_DIR / "README.md").is_file()
    for name in SHIPPED:
        digest = hashlib.sha256((SHIPPED_DATA_DIR / f"{name}.gz").read_bytes()).hexdigest()
        assert digest == EXPECTED[name][4], name


def check_counts(name, data):
    rows, features, nnz, labels, _ = EXPECTED[name]
    assert (data.n_samples, data.n_features, data.nnz) == (rows, features, nnz)
    assert data.label_counts() == labels
    assert data.features.format == "csr" and data.features.has_sorted_indices


@pytest.mark.parametrize("name", SHIPPED)
def test_reader_counts_for_shipped_files(name):
    check_counts(name, read_svmlight(SHIPPED_DATA_DIR / f"{name}.gz"))


@pytest.mark.parametrize("name", NOT_SHIPPED)
def test_reader_counts_for_large_files_when_present(name):
    try:
        path = find_libsvm_file(name)
    except FileNotFoundError:
        pytest.skip(f"{name} is not available here")
    check_counts(name, read_svmlight(path))


def test_ionosphere_keeps_its_34_columns_though_column_2_is_empty():
    data = read_svmlight(SHIPPED_DATA_DIR / "ionosphere_scale.gz")
    assert data.features[:, [1]].nnz == 0


# -------------------------------------------------------------------------------------- the reader
SAMPLE = """# a comment line
+1 1:0.5 3:-2 # trailing comment
-1 qid:7 2:1.5e-1

-1 3:4 1:1
"""


def test_parser_reads_labels_values_comments_and_qid():
    data = parse_svmlight(SAMPLE)
    np.testing.assert_array_equal(data.labels, [1.0, -1.0, -1.0])
    np.testing.assert_array_equal(data.features.toarray(), [[0.5, 0.0, -2.0], [0.0, 0.15, 0.0], [1.0, 0.0, 4.0]])
    assert data.features.has_sorted_indices


def test_parser_pads_to_n_features_and_reads_zero_based_files():
    assert parse_svmlight("1 2:1\n", n_features=5).features.shape == (1, 5)
    np.testing.assert_array_equal(parse_svmlight("1 0:3 2:1\n", zero_based=True).features.toarray(), [[3.0, 0.0, 1.0]])


def test_empty_rows_are_kept():
    data = parse_svmlight("1\n-1 2:1\n")
    assert data.features.shape == (2, 2) and data.features[[0], :].nnz == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 1:1\n-1 0:2\n", "line 2.*zero_based"),
        ("1 1:1\n1 a:2\n", "line 2.*'a:2'"),
        ("1 1:1 7\n", "line 1.*'7'"),
        ("x 1:1\n", "line 1.*label"),
        ("1 2:1 2:3\n", "repeated in data row 1"),
        ("1 4:1\n", "exceeds n_features=3"),
    ],
)
def test_parser_names_the_bad_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_svmlight(text, n_features=3 if "4:1" in text else None)


def test_reader_handles_plain_gzip_and_bzip2_alike(tmp_path):
    raw = SAMPLE.encode()
    (tmp_path / "plain").write_bytes(raw)
    (tmp_path / "zipped.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "zipped.bz2").write_bytes(bz2.compress(raw))
    reference = parse_svmlight(SAMPLE).features.toarray()
    for name in ("plain", "zipped.gz", "zipped.bz2"):
        np.testing.assert_array_equal(read_svmlight(tmp_path / name).features.toarray(), reference)
    with pytest.raises(FileNotFoundError):
        read_svmlight(tmp_path / "missing")


# -------------------------------------------------------------------------------- finding the data
def test_missing_file_gives_a_message_saying_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        logistic_problem("a9a", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and DATA_DIR_ENV in message and "a9a.gz" in message and "libsvmtools" in message


def test_environment_variable_and_any_binary_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    lines = [f"{rng.choice([3, 5])} " + " ".join(f"{j + 1}:{rng.standard_normal():.6f}" for j in range(12))
             for _ in range(30)]
    (tmp_path / "toy.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    problem = logistic_problem("toy")
    assert (problem.n, problem.m) == (12, 11)
    assert problem.metadata["label_map"] == {"3.0": -1.0, "5.0": 1.0}
    # The shipped sets are still found when the variable points elsewhere.
    assert logistic_problem("sonar_scale").n == 60
    # data_dir is searched alone.
    with pytest.raises(FileNotFoundError):
        logistic_problem("sonar_scale", data_dir=tmp_path)


def test_a_truncated_paper_file_is_refused(tmp_path):
    text = gzip.decompress((SHIPPED_DATA_DIR / "sonar_scale.gz").read_bytes()).decode()
    (tmp_path / "sonar_scale").write_text("\n".join(text.splitlines()[:100]) + "\n")
    with pytest.raises(ValueError, match="expected 208 rows"):
        load_libsvm_dataset("sonar_scale", data_dir=tmp_path)


@pytest.mark.parametrize("bad", ["", "../sonar_scale", "a/b", ".."])
def test_dataset_names_are_plain_file_names(bad):
    with pytest.raises(ProblemDefinitionError):
        find_libsvm_file(bad)


def test_names():
    assert logistic_names() == [*SHIPPED, *NOT_SHIPPED]
    assert set(SHIPPED) <= set(logistic_names(available_only=True))
    assert logistic_names(available_only=True, data_dir=SHIPPED_DATA_DIR) == SHIPPED


# ------------------------------------------------------------------------------------------ labels
def test_labels_are_mapped_to_plus_minus_one():
    signs, mapping = plus_minus_one_labels([2, 1, 1, 2, 2])
    np.testing.assert_array_equal(signs, [1, -1, -1, 1, 1])
    assert mapping == {1.0: -1.0, 2.0: 1.0}
    with pytest.raises(ProblemDefinitionError, match="two distinct labels"):
        plus_minus_one_labels([1, 1, 1])
    for name, (minus, plus) in {"mushrooms": (3_916, 4_208), "phishing": (4_898, 6_157)}.items():
        problem = logistic_problem(name)
        assert problem.metadata["N"] == minus + plus


# --------------------------------------------------------------------------------- the problem
def small_problem(rows=40, seed=0, hessian="auto"):
    data = read_svmlight(SHIPPED_DATA_DIR / "ionosphere_scale.gz")
    features = data.features[:rows].toarray()
    labels = data.labels[:rows]
    return features, labels, constrained_logistic_problem(features, labels, seed=seed, hessian=hessian)


def test_values_match_a_direct_dense_computation_on_a_subset():
    features, labels, problem = small_problem()
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(34), rng.standard_normal(11)
    constraints = random_linear_constraints(34, seed=0)
    margins = labels * (features @ x)
    expected_f = np.mean(np.log1p(np.exp(-margins)))
    expected_grad = sum(-lab * a / (1 + np.exp(lab * (a @ x))) for a, lab in zip(features, labels)) / len(labels)
    probabilities = 1 / (1 + np.exp(-margins))
    expected_hess = sum(p * (1 - p) * np.outer(a, a) for a, p in zip(features, probabilities)) / len(labels)
    expected_hess += 2 * y[-1] * np.eye(34)
    assert problem.fun(x) == pytest.approx(expected_f, rel=1e-13)
    np.testing.assert_allclose(problem.grad(x), expected_grad, rtol=1e-12, atol=1e-15)
    expected_c = np.append(constraints.matrix @ x - constraints.rhs, x @ x - 1)
    np.testing.assert_allclose(problem.cons(x), expected_c, rtol=1e-13)
    np.testing.assert_allclose(problem.jac(x), np.vstack([constraints.matrix, 2 * x]), rtol=1e-15)
    np.testing.assert_allclose(problem.hess(x, y), expected_hess, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hessian", ["dense", "operator"])
def test_derivatives_match_central_differences(hessian):
    problem = logistic_problem("sonar_scale", hessian=hessian)
    rng = np.random.default_rng(2)
    x, y = 0.3 * rng.standard_normal(problem.n), rng.standard_normal(problem.m)
    step = 1e-6
    eye = np.eye(problem.n)
    grad_fd = np.array([(problem.fun(x + step * e) - problem.fun(x - step * e)) / (2 * step) for e in eye])
    np.testing.assert_allclose(problem.grad(x), grad_fd, rtol=1e-6, atol=1e-9)
    jac_fd = np.array([(problem.cons(x + step * e) - problem.cons(x - step * e)) / (2 * step) for e in eye]).T
    np.testing.assert_allclose(problem.jac(x), jac_fd, rtol=1e-7, atol=1e-7)

    def grad_lagrangian(z):
        return problem.grad(z) + problem.jac(z).T @ y

    hess = problem.hess(x, y)
    assert isinstance(hess, LinearOperator if hessian == "operator" else np.ndarray)
    for _ in range(3):
        v = rng.standard_normal(problem.n)
        hv_fd = (grad_lagrangian(x + step * v) - grad_lagrangian(x - step * v)) / (2 * step)
        np.testing.assert_allclose(hess @ v, hv_fd, rtol=1e-6, atol=1e-8)


def test_dense_and_operator_hessians_agree_on_sparse_data():
    rng = np.random.default_rng(3)
    dense = logistic_problem("mushrooms", hessian="dense")
    operator = logistic_problem("mushrooms", hessian="operator")
    x, y = rng.standard_normal(112), rng.standard_normal(11)
    block = rng.standard_normal((112, 4))
    np.testing.assert_allclose(operator.hess(x, y) @ block, dense.hess(x, y) @ block, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(operator.hess(x, y).matvec(block[:, 0]), dense.hess(x, y) @ block[:, 0], rtol=1e-12)
    assert np.allclose(dense.hess(x, y), dense.hess(x, y).T)


def test_loss_is_stable_for_huge_margins():
    problem = logistic_problem("ionosphere_scale")
    for scale in (1e3, -1e3, 1e8):
        x = np.full(34, scale)
        assert np.isfinite(problem.fun(x)) and np.all(np.isfinite(problem.grad(x)))
        assert np.all(np.isfinite(problem.hess(x, np.ones(11))))
    # Where every margin is hugely positive the loss is (numerically) zero, not NaN.
    features, labels, small = small_problem(rows=5)
    direction = np.linalg.lstsq(features, labels * 1e3, rcond=None)[0]
    assert small.fun(direction) < 1e-100


def test_start_point_and_constraints_at_the_start():
    problem = logistic_problem("splice_scale")
    d = 60
    np.testing.assert_array_equal(problem.x0, np.ones(d))
    np.testing.assert_array_equal(problem.y0, np.ones(11))
    constraints = random_linear_constraints(d, seed=0)
    np.testing.assert_allclose(problem.cons(problem.x0),
                               np.append(constraints.matrix.sum(axis=1) - constraints.rhs, d - 1.0), rtol=1e-13)
    # The constraints are consistent: the drawn unit vector satisfies them all.
    assert np.linalg.norm(constraints.feasible_point) == pytest.approx(1.0)
    assert np.linalg.norm(problem.cons(constraints.feasible_point)) < 1e-12
    # The Jacobian has full row rank there (LICQ).
    assert np.linalg.matrix_rank(problem.jac(constraints.feasible_point)) == 11


def test_seed_reproducibility():
    x = np.random.default_rng(4).standard_normal(60)
    first = logistic_problem("sonar_scale", seed=7).cons(x)
    np.testing.assert_array_equal(logistic_problem("sonar_scale", seed=7).cons(x), first)
    assert not np.allclose(logistic_problem("sonar_scale", seed=8).cons(x), first)
    from_generator = logistic_problem("sonar_scale", seed=np.random.default_rng(7)).cons(x)
    np.testing.assert_array_equal(from_generator, first)
    a = random_linear_constraints(20, seed=3)
    b = random_linear_constraints(20, seed=3)
    np.testing.assert_array_equal(a.matrix, b.matrix)
    np.testing.assert_array_equal(a.rhs, b.rhs)


def test_metadata():
    problem = logistic_problem("phishing")
    meta = problem.metadata
    assert problem.name == "logistic-phishing"
    assert (meta["dataset"], meta["N"], meta["d"], meta["nnz"]) == ("phishing", 11_055, 68, 331_650)
    assert "Mohammad" in meta["source"] and "LIBSVM" in meta["source"]
    assert meta["seed"] == 0 and meta["num_linear_constraints"] == 10 and meta["hessian"] == "dense"


def test_bad_inputs_are_refused():
    features, labels, _ = small_problem()
    with pytest.raises(ProblemDefinitionError, match="entries"):
        constrained_logistic_problem(features, labels[:-1])
    with pytest.raises(ProblemDefinitionError, match="at least"):
        constrained_logistic_problem(features[:, :10], labels)
    with pytest.raises(ProblemDefinitionError, match="hessian"):
        constrained_logistic_problem(features, labels, hessian="exact")
    with pytest.raises(ProblemDefinitionError, match="non-finite"):
        constrained_logistic_problem(np.where(features == features[0, 0], np.nan, features), labels)
    with pytest.raises(ProblemDefinitionError, match="2-D"):
        constrained_logistic_problem(features[0], labels[:1])
    assert constrained_logistic_problem(sp.csr_array(features), labels).n == 34
