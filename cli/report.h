// Findings and check results rendered as text, JSON, SARIF 2.1.0, JUnit XML and GitHub
// workflow annotations.
#pragma once
