/** The app's entry (package.json "main"): every function registers itself on import. */
import './onMonitorAlert.js';
import './jobsApi.js';
import './getFleet.js';
import './onJobQueued.js';
import './reconcileFleet.js';
import './onPlatformEvents.js';
import './onPlatformEvent.js';
import './whatIf.js';
import './opsApi.js';
import './dashboard.js';
import './dashboardRoot.js';
