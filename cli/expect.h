// The expectations file of `netverify check --expect FILE`.
#pragma once
