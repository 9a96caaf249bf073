// Entry of the mock bundle: installs the mock backend with the configuration
// the test put on `window` before the page loaded.

import { installMockBackend } from "./backend";

installMockBackend(window.__DEALWATCH_MOCK_CONFIG__ ?? {});
