// The logistic σ(x) = 1/(1 + e^(−x)) of several packets at once, bitwise equal to Eigen's
// `scalar_logistic_op<T>::packetOp` applied to each packet.
//
// Eigen's float version evaluates a 9/10-degree rational interpolant and branches once per
// packet on "any lane below −9" (where it takes exp(x) instead). Called one packet at a time
// (as in a kernel epilogue), every packet is a dependent chain of about twenty operations behind
// a branch, and the chains barely overlap. Here the rational is evaluated for all N packets
// side by side (N independent chains) and the exp fallback is taken behind a single branch,
// with the same operations on every lane, so the results are the same bits.
#ifndef MONGE_LOGISTIC_HPP
#define MONGE_LOGISTIC_HPP

#include <Eigen/Core>

namespace monge {

template <typename T, int N>
struct Logistic {
    using Packet = typename Eigen::internal::packet_traits<T>::type;

    /// sigma[i] = σ(x[i]) for i < N (sigma may alias x).
    static inline void apply(const Packet *x, Packet *sigma) {
        const Eigen::internal::scalar_logistic_op<T> op;
        for (int i = 0; i < N; ++i) sigma[i] = op.packetOp(x[i]);
    }
};

template <int N>
struct Logistic<float, N> {
    using Packet = typename Eigen::internal::packet_traits<float>::type;

    static inline void apply(const Packet *in, Packet *sigma) {
        using namespace Eigen::internal;
        // Constants and operation order of Eigen 3.4's scalar_logistic_op<float>::packetOp.
        const Packet cutoffLower = pset1<Packet>(-9.f);
#ifdef EIGEN_VECTORIZE_FMA
        const Packet cutoffUpper = pset1<Packet>(15.7243833541870117f);
#else
        const Packet cutoffUpper = pset1<Packet>(15.6437711715698242f);
#endif
        const Packet alpha1 = pset1<Packet>(2.48287947061529e-01f), alpha3 = pset1<Packet>(8.51377133304701e-03f),
                     alpha5 = pset1<Packet>(6.08574864600143e-05f), alpha7 = pset1<Packet>(1.15627324459942e-07f),
                     alpha9 = pset1<Packet>(4.37031012579801e-11f);
        const Packet beta0 = pset1<Packet>(9.93151921023180e-01f), beta2 = pset1<Packet>(1.16817656904453e-01f),
                     beta4 = pset1<Packet>(1.70198817374094e-03f), beta6 = pset1<Packet>(6.29106785017040e-06f),
                     beta8 = pset1<Packet>(5.76102136993427e-09f), beta10 = pset1<Packet>(6.10247389755681e-13f);
        const Packet half = pset1<Packet>(0.5f);
        Packet x[N], small = pzero(cutoffLower);
        for (int i = 0; i < N; ++i) {
            x[i] = in[i];
            small = por(small, pcmp_lt(x[i], cutoffLower));
        }
        Packet out[N];
        for (int i = 0; i < N; ++i) {
            const Packet xi = pmin(x[i], cutoffUpper);
            const Packet x2 = pmul(xi, xi);
            Packet p = pmadd(x2, alpha9, alpha7);
            p = pmadd(x2, p, alpha5);
            p = pmadd(x2, p, alpha3);
            p = pmadd(x2, p, alpha1);
            p = pmul(xi, p);
            Packet q = pmadd(x2, beta10, beta8);
            q = pmadd(x2, q, beta6);
            q = pmadd(x2, q, beta4);
            q = pmadd(x2, q, beta2);
            q = pmadd(x2, q, beta0);
            out[i] = padd(pdiv(p, q), half);
        }
        if (EIGEN_PREDICT_FALSE(predux_any(small))) {
            for (int i = 0; i < N; ++i) {
                const Packet mask = pcmp_lt(x[i], cutoffLower);
                if (predux_any(mask)) out[i] = pselect(mask, pexp(x[i]), out[i]);
            }
        }
        for (int i = 0; i < N; ++i) sigma[i] = out[i];
    }
};

}  // namespace monge

#endif
