// DICOM parser helpers that other code (the CLI's version output, tests) may call.
#pragma once

#include <string_view>

namespace ww {

// The release of the DCMTK library linked for DICOM UID names and SOP class modalities (e.g. "3.6.7").
std::string_view dicom_toolkit_version();

}  // namespace ww
