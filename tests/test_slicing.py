"""Slices of surfaces of d ≠ 2 variables: the plane each method chooses, f on it, and paths projected onto it."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.critical import critical_points
from explorer.preset import dumps_preset, loads_preset
from explorer.runs import RunSpec
from explorer.simulation import simulate_run
from explorer.slice_surface import LOSS_GAP_WARNING, SliceSurface, project_path
from explorer.slicing import SliceError, SliceSpec, find_anchor, resolve_slice
from explorer.surface import compile_surface


def _quadratic_text(A: np.ndarray, m: np.ndarray, names: list[str]) -> str:
    """½ (x − m)ᵀ A (x − m) written out term by term (the way a user would type it)."""
    d = len(names)
    shifted = [f"({n} - {float(m[i])!r})" for i, n in enumerate(names)]
    terms = [f"{float((0.5 if i == j else 1.0) * A[i, j])!r}*{shifted[i]}*{shifted[j]}"
             for i in range(d) for j in range(i, d)]
    return " + ".join(terms).replace("+ -", "- ")


def _known_quadratic(d=5, seed=1):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.array([-1.5, 0.5, 2.0, 3.0, 7.0])[:d]          # distinct, one negative: a saddle
    A = q @ np.diag(lam) @ q.T
    A = 0.5 * (A + A.T)
    m = rng.uniform(-1, 1, d).round(3)
    names = [f"w{i + 1}" for i in range(d)]
    return compile_surface(_quadratic_text(A, m, names), variables=names), A, m, q, lam


def test_the_slice_of_a_known_quadratic_along_its_eigenvectors_is_the_analytic_2d_quadratic():
    surface, A, m, q, lam = _known_quadratic()
    ranges = [(-3, 3)] * 5
    anchor = np.array([0.7, -0.4, 1.1, 0.2, -0.9])
    plane = resolve_slice(SliceSpec(method="eigen"), surface, ranges, anchor)
    # the directions are the eigenvectors of the largest (7) and smallest (-1.5) eigenvalue, up to sign
    assert abs(plane.basis[:, 0] @ q[:, -1]) == pytest.approx(1.0, abs=1e-12)
    assert abs(plane.basis[:, 1] @ q[:, 0]) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(plane.eigenvalues, [7.0, -1.5], atol=1e-12)
    assert plane.labels == ("v_max (λ=7)", "v_min (λ=−1.5)")
    # f(a + B w) = f(a) + gᵀB w + ½(7 w₁² − 1.5 w₂²), w = u − u_a: the analytic 2-D quadratic
    g_a = A @ (anchor - m)
    f_a = 0.5 * (anchor - m) @ A @ (anchor - m)
    slice_ = SliceSurface(surface, plane)
    (u0, u1), (v0, v1) = plane.ranges
    U = np.stack(np.meshgrid(np.linspace(u0, u1, 23), np.linspace(v0, v1, 17)), axis=-1)
    w = U - plane.anchor_uv
    analytic = f_a + w @ (plane.basis.T @ g_a) + 0.5 * (7.0 * w[..., 0] ** 2 - 1.5 * w[..., 1] ** 2)
    np.testing.assert_allclose(slice_.value(U), analytic, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(slice_.gradient(U), plane.basis.T @ g_a + w * [7.0, -1.5], atol=1e-10)
    np.testing.assert_allclose(slice_.hessian(U), np.broadcast_to(np.diag([7.0, -1.5]), (*U.shape[:-1], 2, 2)),
                               atol=1e-10)
    # each direction points downhill from the anchor
    assert np.all(plane.basis.T @ g_a <= 0)
    assert slice_.variable_names == plane.labels and slice_.ndim == 2


def test_two_variables_sliced_by_their_own_coordinates_is_the_surface_itself_bit_for_bit():
    surface = compile_surface("(1 - x)^2 + 100(y - x^2)^2")
    ranges = [(-2.0, 2.0), (-1.0, 3.0)]
    plane = resolve_slice(SliceSpec(), surface, ranges, [0.3, -0.7])
    assert plane.ranges == ((-2.0, 2.0), (-1.0, 3.0)) and plane.labels == ("x", "y")
    s = SliceSurface(surface, plane)
    P = np.stack(np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 3, 37)), axis=-1)
    assert np.array_equal(s.value(P), surface.value(P))
    assert np.array_equal(s.gradient(P), surface.gradient(P))
    assert np.array_equal(s.hessian(P), surface.hessian(P))
    assert np.array_equal(plane.to_plane(P), P) and np.array_equal(plane.to_space(P), P)
    assert plane.description == "slice through the point (0.3, −0.7) · plane of x and y"


def test_a_coordinate_slice_holds_the_other_variables_at_the_anchor():
    surface = compile_surface("x^2 + 2y^2 + 3z^2 + x*z", variables=("x", "y", "z"))
    plane = resolve_slice(SliceSpec(variables=("z", "x")), surface, [(-1, 1), (-2, 2), (-3, 3)], [0.5, -1.5, 2.0])
    assert plane.labels == ("z", "x") and plane.ranges == ((-3.0, 3.0), (-1.0, 1.0))
    s = SliceSurface(surface, plane)
    u = np.array([[0.25, -0.5]])                       # z = 0.25, x = -0.5, y held at -1.5
    assert s.value(u)[0] == pytest.approx(0.25 + 2 * 2.25 + 3 * 0.0625 - 0.125)
    np.testing.assert_allclose(s.gradient(u)[0], [6 * 0.25 - 0.5, 2 * -0.5 + 0.25])   # (∂f/∂z, ∂f/∂x)
    np.testing.assert_allclose(s.hessian(u)[0], [[6, 1], [1, 2]])
    assert "the other variable held at the anchor" in plane.description
    assert plane.summary()[0] == plane.description and plane.summary()[1] == "anchor = (0.5, -1.5, 2)"


def _planar_path(d=6, seed=4, n=60):
    rng = np.random.default_rng(seed)
    v, _ = np.linalg.qr(rng.standard_normal((d, 2)))
    c = rng.uniform(-1, 1, d)
    t = np.arange(n)
    st = np.stack([3 * 0.95 ** t, 2 * (-0.8) ** t], axis=1)    # a zig-zag spiralling in, like momentum
    return c + st @ v.T, v, c


def test_the_pca_plane_of_a_path_lying_in_a_plane_explains_all_variance_and_holds_it():
    path, v, c = _planar_path()
    names = [f"x{i + 1}" for i in range(6)]
    surface = compile_surface(" + ".join(f"{n}^2" for n in names), variables=names)
    plane = resolve_slice(SliceSpec(method="pca"), surface, [(-5, 5)] * 6, path[10], paths=[path, path[::2]])
    assert plane.explained.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(plane.basis @ plane.basis.T, v @ v.T, atol=1e-12)     # the same plane
    onplane = project_path(surface, plane, path)
    assert np.max(onplane.off_plane) < 1e-12
    np.testing.assert_allclose(onplane.plane_loss, onplane.true_loss, rtol=1e-12)
    assert not onplane.warn.any()
    assert plane.labels[0].startswith("PC1 (") and plane.labels[0].endswith(" % var.)")
    assert plane.description.endswith("PCA plane of 2 racers · 100.0 % of variance")
    # and one that does not lie in a plane: less than all, and points off it
    bent = path + np.outer(np.sin(np.arange(60)), np.eye(6)[0]) * 0.5
    plane2 = resolve_slice(SliceSpec(method="pca"), surface, [(-5, 5)] * 6, bent[0], paths=[bent])
    assert plane2.explained.sum() < 0.99
    assert np.max(plane2.off_plane(bent)) > 0.1


def test_pca_axes_follow_the_first_path_and_the_view_holds_every_path():
    path, _, _ = _planar_path()
    names = [f"x{i + 1}" for i in range(6)]
    surface = compile_surface(" + ".join(f"{n}^2" for n in names), variables=names)
    plane = resolve_slice(SliceSpec(method="pca"), surface, [(-5, 5)] * 6, path[0], paths=[path])
    uv = plane.to_plane(path)
    assert uv[-1, 0] > uv[0, 0]                                   # PC1 points the way the racer travelled
    (a, b), (c, d) = plane.ranges
    assert np.all((uv[:, 0] > a) & (uv[:, 0] < b) & (uv[:, 1] > c) & (uv[:, 1] < d))


def test_pca_explained_variance_matches_numpy_svd():
    rng = np.random.default_rng(0)
    paths = [np.cumsum(rng.standard_normal((40, 4)) * [3, 1, 0.5, 0.1], axis=0) for _ in range(3)]
    surface = compile_surface("a^2 + b^2 + c^2 + d^2", variables=("a", "b", "c", "d"))
    plane = resolve_slice(SliceSpec(method="pca"), surface, [(-50, 50)] * 4, paths[0][0], paths=paths)
    x = np.concatenate(paths)
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    np.testing.assert_allclose(plane.explained, (s**2 / np.sum(s**2))[:2], rtol=1e-10)
    assert f"{100 * plane.explained.sum():.1f} % of variance" in plane.description


def test_random_directions_are_seeded_orthonormal_and_span_the_anchors_norm():
    names = [f"x{i + 1}" for i in range(7)]
    surface = compile_surface(" + ".join(f"{n}^4" for n in names), variables=names)
    anchor = np.array([1.0, -2.0, 0.5, 0.0, 1.5, -1.0, 2.0])
    ranges = [(-3, 3)] * 7
    one = resolve_slice(SliceSpec(method="random", seed=3), surface, ranges, anchor)
    again = resolve_slice(SliceSpec(method="random", seed=3), surface, ranges, anchor)
    other = resolve_slice(SliceSpec(method="random", seed=4), surface, ranges, anchor)
    assert np.array_equal(one.basis, again.basis) and not np.allclose(one.basis, other.basis)
    np.testing.assert_allclose(one.basis.T @ one.basis, np.eye(2), atol=1e-14)
    norm = np.linalg.norm(anchor)
    assert one.ranges == ((-norm, norm), (-norm, norm))          # α, β ∈ [-1, 1] times ‖a‖ (Li et al. 2018)
    np.testing.assert_allclose(one.anchor_uv, 0.0, atol=1e-15)
    corner = one.to_space([norm, norm])
    assert np.linalg.norm(corner - anchor) == pytest.approx(norm * np.sqrt(2))
    assert one.labels == ("random 1 (seed 3)", "random 2 (seed 3)")
    assert "random plane (seed 3)" in one.description and "seed = 3" in one.summary()
    at_origin = resolve_slice(SliceSpec(method="random", seed=3), surface, ranges, np.zeros(7))
    assert at_origin.ranges[0][1] > 1.0 and "‖a‖ = 0" in at_origin.description


def test_a_repeated_eigenvalue_takes_the_direction_the_gradient_moves_in():
    names = [f"x{i + 1}" for i in range(4)]
    surface = compile_surface("x1^2 + x2^2 + x3^2 + 0.01*x4^2", variables=names)   # λ = 2 three times, 0.02
    plane = resolve_slice(SliceSpec(method="eigen"), surface, [(-2, 2)] * 4, [1.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(plane.basis[:, 0], -np.array([1, 1, 0, 0]) / np.sqrt(2), atol=1e-12)
    np.testing.assert_allclose(plane.basis[:, 1], [0, 0, 0, -1], atol=1e-12)
    sphere = compile_surface("x1^2 + x2^2 + x3^2 + x4^2", variables=names)           # H = 2I
    round_ = resolve_slice(SliceSpec(method="eigen"), sphere, [(-2, 2)] * 4, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(round_.basis.T @ round_.basis, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(round_.basis[:, 0], [-1, 0, 0, 0], atol=1e-12)


def test_the_eigen_view_is_the_box_section_and_does_not_move_with_the_anchor():
    names = [f"x{i + 1}" for i in range(3)]
    surface = compile_surface("x1^2 + 4*x2^2 + 9*x3^2", variables=names)
    ranges = [(-1, 1), (-2, 2), (-3, 3)]
    one = resolve_slice(SliceSpec(method="eigen"), surface, ranges, [0.5, 0.5, 0.5])
    two = resolve_slice(SliceSpec(method="eigen"), surface, ranges, [0.3, 0.2, 0.4])
    assert one.labels == ("v_max (λ=18)", "v_min (λ=2)")
    assert one.ranges == two.ranges                                   # fixed while the anchor moves
    np.testing.assert_allclose(one.ranges, [(-3, 3), (-1, 1)], atol=1e-12)   # the box's x3-x1 section
    np.testing.assert_allclose(one.to_plane([0.3, 0.2, 0.4]), two.to_plane([0.3, 0.2, 0.4]), atol=1e-15)


def test_paths_project_with_off_plane_distance_and_a_warning_past_ten_percent():
    surface = compile_surface("x^2 + y^2 + z^2", variables=("x", "y", "z"))
    plane = resolve_slice(SliceSpec(), surface, [(-2, 2)] * 3, [0.0, 0.0, 0.0])
    path = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.3], [1.0, 0.0, 0.5], [0.0, 0.0, 1e-5]])
    seen = project_path(surface, plane, path)
    np.testing.assert_allclose(seen.uv, path[:, :2])
    np.testing.assert_allclose(seen.off_plane, [0.0, 0.3, 0.5, 1e-5])
    np.testing.assert_allclose(seen.plane_loss, [1.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(seen.gap[:3], [0.0, 0.09 / 1.09, 0.25 / 1.25])
    assert LOSS_GAP_WARNING == 0.10
    assert seen.warn.tolist() == [False, False, True, False]    # 8 % is fine, 20 % warns, 1e-10 near 0 is not
    assert seen.warning(2) == "off the slice by 0.5: the map shows f = 1 here, the racer's loss is 1.25"
    assert seen.warning(1) == ""


def test_a_trajectory_in_ten_variables_seen_on_a_coordinate_slice_through_its_start():
    names = [f"x{i + 1}" for i in range(10)]
    surface = compile_surface(" + ".join(f"{i + 1}*{n}^2" for i, n in enumerate(names)), variables=names)
    traj = simulate_run(surface, RunSpec("GD", "sgd", tuple(np.linspace(1, -1, 10)), {"lr": 0.05}), steps=60)
    anchor = find_anchor(SliceSpec(), [(-2, 2)] * 10, racer_points=[traj.points[0]], racer_labels=["GD"],
                         selected=0, step=0)
    plane = resolve_slice(SliceSpec(), surface, [(-2, 2)] * 10, anchor)
    seen = project_path(surface, plane, traj.points, traj.loss)
    assert seen.off_plane[0] == 0 and seen.gap[0] == 0
    assert seen.off_plane[-1] == pytest.approx(np.linalg.norm(traj.points[-1, 2:] - traj.points[0, 2:]))
    assert seen.warn[-1]                      # the held coordinates are the start's: far from the racer's loss
    assert plane.description.startswith("slice through the selected racer's point at step 0 (GD) · plane of x1")


def test_anchors_racer_critical_point_and_fallbacks():
    ranges = [(-1, 1), (0, 4), (-2, 2)]
    pts = [np.array([0.1, 0.2, 0.3]), np.array([0.4, 0.5, 0.6])]
    a = find_anchor(SliceSpec(), ranges, racer_points=pts, racer_labels=["A", "B"], selected=1, step=7)
    assert np.array_equal(a.point, pts[1]) and a.text == "the selected racer's point at step 7 (B)"
    a = find_anchor(SliceSpec(racer=0), ranges, racer_points=pts, racer_labels=["A", "B"], selected=1, step=7)
    assert np.array_equal(a.point, pts[0]) and a.text == "A's point at step 7"
    a = find_anchor(SliceSpec(), ranges, racer_points=pts, selected=-1)
    assert np.array_equal(a.point, [0, 2, 0]) and "no racer selected" in a.text
    surface = compile_surface("x^2 - y^2 + z^2", variables=("x", "y", "z"))
    cps = critical_points(surface, [(-1, 1), (-1, 1), (-1, 1)])
    a = find_anchor(SliceSpec(anchor="critical"), ranges, critical=cps)
    assert a.text == "the saddle (index 1) at (0, 0, 0)"
    a = find_anchor(SliceSpec(anchor="critical", critical=3), ranges, critical=cps)
    assert "there is no critical point 4" in a.text
    a = find_anchor(SliceSpec(anchor="point", point=(1, 2, 3)), ranges)
    assert a.text == "the point (1, 2, 3)"
    with pytest.raises(SliceError, match=r"slice.point: has 2 numbers; the surface has 3 variables"):
        find_anchor(SliceSpec(anchor="point", point=(1, 2)), ranges)


def test_what_cannot_be_sliced_says_why():
    one = compile_surface("x^2", variables=("x",))
    with pytest.raises(SliceError, match="one variable has no plane to slice: the view is the curve f"):
        resolve_slice(SliceSpec(), one, [(-1, 1)], [0.0])
    three = compile_surface("sqrt(x) + y^2 + z^2", variables=("x", "y", "z"))
    with pytest.raises(SliceError, match=r"slice.variables: 'x4' is not a variable .*the variables are x, y, z"):
        resolve_slice(SliceSpec(variables=("x", "x4")), three, [(-1, 1)] * 3, [0.5, 0, 0])
    with pytest.raises(SliceError, match="PCA plane needs the racers' paths"):
        resolve_slice(SliceSpec(method="pca"), three, [(-1, 1)] * 3, [0.5, 0, 0])
    with pytest.raises(SliceError, match="paths do not move"):
        resolve_slice(SliceSpec(method="pca"), three, [(-1, 1)] * 3, [0.5, 0, 0], paths=[np.ones((5, 3))])
    with pytest.raises(SliceError, match=r"Hessian at the anchor \(−1, 0, 0\) is not finite"):
        resolve_slice(SliceSpec(method="eigen"), three, [(-1, 1)] * 3, [-1.0, 0, 0])


@pytest.mark.parametrize(("bad", "field", "words"), [
    ({"method": "pcaa"}, "method", "did you mean 'pca'"),
    ({"method": "pca", "sed": 3}, "sed", "did you mean 'seed'"),
    ({"variables": ["x1"]}, "variables", "two variable names"),
    ({"variables": ["x1", "x1"]}, "variables", "two different variables"),
    ({"anchor": "critcal"}, "anchor", "did you mean 'critical'"),
    ({"seed": -1}, "seed", "whole number from 0"),
    ({"seed": 2.5}, "seed", "whole number"),
    ({"racer": True}, "racer", "whole number"),
    ({"anchor": "point"}, "point", "is needed"),
    ({"anchor": "point", "point": [1.0, float("nan")]}, "point[1]", "finite number"),
])
def test_a_bad_slice_table_names_the_key(bad, field, words):
    with pytest.raises(SliceError) as info:
        SliceSpec.from_dict(bad)
    assert info.value.field == field and words in str(info.value)
    assert str(info.value).startswith(f"slice.{field}: ")


SPECS = [
    SliceSpec(),
    SliceSpec(method="pca"),
    SliceSpec(method="eigen", anchor="critical", critical=2),
    SliceSpec(method="random", seed=3, racer=1),
    SliceSpec(method="coordinates", variables=("x3", "x7"), anchor="point", point=(0.5, -1.0, 2.0)),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.method + "-" + s.anchor)
def test_a_slice_round_trips_through_toml_as_a_view_table(spec):
    import tomllib

    import tomli_w

    table = spec.to_dict()
    assert all(isinstance(v, (str, int, float, list)) for v in table.values())   # TOML-plain
    text = tomli_w.dumps({"view": {"slice": table}})
    assert text.startswith("[view.slice]\nmethod = ")
    assert SliceSpec.from_dict(tomllib.loads(text)["view"]["slice"]) == spec


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.method + "-" + s.anchor)
def test_a_slice_round_trips_through_a_presets_view_table(spec):
    from dataclasses import replace

    preset = loads_preset('format = "gradient-descent-explorer/preset"\nversion = 2\ntitle = "t"\n'
                          '[surface]\nexpression = "x^2 + y^2"\nranges = [[-1.0, 1.0], [-1.0, 1.0]]\n')
    saved = dumps_preset(replace(preset, view={"slice": spec.to_dict()}))
    assert "[view.slice]" in saved
    assert SliceSpec.from_dict(loads_preset(saved).view["slice"]) == spec


def test_a_diverged_racer_neither_breaks_the_pca_plane_nor_anchors_the_slice_at_infinity():
    s = compile_surface("x^2 + y^2 + 10*z^2", variables=("x", "y", "z"))
    ranges = [(-1, 1)] * 3
    calm = simulate_run(s, RunSpec("calm", "sgd", (0.9, 0.5, 0.0), {"lr": 0.05}), steps=200, bounds=ranges)
    wild = simulate_run(s, RunSpec("wild", "sgd", (0.9, 0.5, 0.3), {"lr": 0.25}), steps=500, bounds=ranges)
    assert wild.status == "diverged" and np.abs(wild.points[-1, 2]) > 100
    plane = resolve_slice(SliceSpec(method="pca"), s, ranges, calm.points[0], paths=[calm.points, wild.points])
    assert np.all(np.isfinite(plane.basis)) and np.all(np.isfinite(plane.ranges))
    assert max(abs(v) for r in plane.ranges for v in r) < 100          # the far-off points are not in the view
    gone = np.array([np.inf, 0.0, 0.0])
    a = find_anchor(SliceSpec(), ranges, racer_points=[gone], racer_labels=["wild"], selected=0, step=60)
    assert np.array_equal(a.point, [0, 0, 0])
    assert a.text == ("the centre of the view (the selected racer's point at step 60 (wild) is not finite: "
                      "the run diverged)")


def test_during_playback_only_the_current_point_needs_the_loss_on_the_plane():
    s = compile_surface("x^2 + y^2 + z^2", variables=("x", "y", "z"))
    plane = resolve_slice(SliceSpec(), s, [(-2, 2)] * 3, [0.0, 0.0, 0.0])
    path = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.3], [1.0, 0.0, 0.5], [0.0, 0.0, 1e-5]])
    every = project_path(s, plane, path)
    now = project_path(s, plane, path, at=2)
    np.testing.assert_array_equal(now.uv, every.uv)
    np.testing.assert_array_equal(now.off_plane, every.off_plane)
    assert now.gap[2] == every.gap[2] and now.warn.tolist() == [False, False, True, False]
    assert np.isnan(now.plane_loss[[0, 1, 3]]).all()


def test_the_playback_grid_is_fine_for_a_formula_and_coarse_for_a_loss_over_many_rows():
    from explorer.data import make_dataset
    from explorer.slice_surface import frame_grid_shape

    formula = compile_surface("x^2 + y^2 + z^2", variables=("x", "y", "z"))
    assert frame_grid_shape(formula) == (200, 200)
    rows = np.random.default_rng(0).normal(size=(20_000, 3)).tolist()
    heavy = compile_surface("(a*u + b*v + c - t)^2", variables=("a", "b", "c"),
                            data=make_dataset(["u", "v", "t"], rows))
    n, m = frame_grid_shape(heavy)
    assert n == m and 24 <= n < 120     # 20,000 rows per point: a 200 x 200 grid would take a second


def test_the_2d_tools_run_unchanged_on_a_slice():
    """critical_points and the views' grid sampler take a SliceSurface like any surface of two variables."""
    from explorer.levels import sample_grid

    names = [f"x{i}" for i in range(1, 11)]
    valley = compile_surface("50*(" + " + ".join(f"{n}^2" for n in names) + ") - 4.95*(" + " + ".join(names)
                             + ")^2", variables=names)
    ranges = [(-4, 4)] * 10
    plane = resolve_slice(SliceSpec(), valley, ranges, np.zeros(10))
    on_slice = SliceSurface(valley, plane)
    (cp,) = critical_points(on_slice, *plane.ranges)
    assert cp.kind == "minimum" and np.allclose(cp.xy, 0, atol=1e-9)
    np.testing.assert_allclose(cp.eigenvalues, [80.2, 100.0], rtol=1e-12)
    xs, ys, values = sample_grid(on_slice, *plane.ranges, (30, 40))
    assert values.shape == (30, 40)
    assert values[12, 7] == pytest.approx(valley.value(plane.to_space([xs[7], ys[12]])))
