// Technology scaling of energy and area (Stillmaker and Baas, Integration 58, 2017; references.md).
#pragma once

namespace leopard::models {

// Energy factor f(V) = a V^2 + b V + c of a node (nm), interpolated in log(node) between the
// tabulated nodes 7..130. Throws InputError outside [7, 130].
double energy_factor(double node_nm, double vdd);
// E(node, vdd) / E(65 nm, 1.0 V): multiply a 65 nm energy by this.
double energy_scale_from_65(double node_nm, double vdd);
// Area(node) / Area(65 nm) (references.md area factors), interpolated in log-log.
double area_scale_from_65(double node_nm);
// Relative gate delay vs 65 nm ("delay scales roughly with the node").
double delay_scale_from_65(double node_nm);

}  // namespace leopard::models
