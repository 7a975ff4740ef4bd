// Eigen is a C++ header-only library: nothing is imported into Swift from here.
// This system-library target exists so that SwiftPM passes `pkg-config --cflags eigen3`
// to the C++ targets that depend on it (EigenKernels).
#pragma once
