// Symmetric eigendecomposition through Eigen, for covariance matrices (oracles, Fréchet distances).
#include "EigenKernels.h"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int ek_symmetric_eigen(int64_t n, const double *a, double *values, double *vectors) {
    Eigen::Map<const RowMajor> matrix(a, n, n);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(matrix, Eigen::ComputeEigenvectors);
    if (solver.info() != Eigen::Success) return 1;
    Eigen::Map<Eigen::VectorXd>(values, n) = solver.eigenvalues();
    Eigen::Map<RowMajor>(vectors, n, n) = solver.eigenvectors();
    return 0;
}
