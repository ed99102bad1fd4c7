import './i18n';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { restoreSession, session } from './api';
import { Layout } from './Layout';
import { NotificationsPage } from './notifications';
import { LoginPage } from './pages/LoginPage';
import { AppointmentPage } from './pages/patient/AppointmentPage';
import { AppointmentsPage } from './pages/patient/AppointmentsPage';
import { ClinicianPage } from './pages/patient/ClinicianPage';
import { PaymentReturnPage } from './pages/patient/PaymentReturnPage';
import { ProfilePage } from './pages/patient/ProfilePage';
import { ReceiptPage } from './pages/patient/ReceiptPage';
import { SearchPage } from './pages/patient/SearchPage';
import { NotFoundPage } from './ui';
// Hindi renders on devices without a Devanagari font (woff2 served by the app itself, loaded only for Devanagari text).
import '@fontsource/noto-sans-devanagari/devanagari-400.css';
import '@fontsource/noto-sans-devanagari/devanagari-700.css';
import './styles.css';

/** Team and optional screens load on first use, so a patient's first page stays small. */
const AdminAppointment = lazy(() =>
  import('./pages/admin/AdminAppointments').then((m) => ({ default: m.AdminAppointment })),
);
const AdminAppointments = lazy(() =>
  import('./pages/admin/AdminAppointments').then((m) => ({ default: m.AdminAppointments })),
);
const AdminPayments = lazy(() =>
  import('./pages/admin/AdminFinance').then((m) => ({ default: m.AdminPayments })),
);
const AdminAudit = lazy(() => import('./pages/admin/AdminFinance').then((m) => ({ default: m.AdminAudit })));
const AdminReconciliation = lazy(() =>
  import('./pages/admin/AdminFinance').then((m) => ({ default: m.AdminReconciliation })),
);
const AdminHome = lazy(() => import('./pages/admin/AdminHome').then((m) => ({ default: m.AdminHome })));
const AdminCentres = lazy(() =>
  import('./pages/admin/AdminPeople').then((m) => ({ default: m.AdminCentres })),
);
const AdminClinician = lazy(() =>
  import('./pages/admin/AdminPeople').then((m) => ({ default: m.AdminClinician })),
);
const AdminClinicians = lazy(() =>
  import('./pages/admin/AdminPeople').then((m) => ({ default: m.AdminClinicians })),
);
const AdminUsers = lazy(() => import('./pages/admin/AdminPeople').then((m) => ({ default: m.AdminUsers })));
const ClinicianDayPage = lazy(() =>
  import('./pages/clinician/ClinicianDayPage').then((m) => ({ default: m.ClinicianDayPage })),
);
const SchedulePage = lazy(() =>
  import('./pages/clinician/SchedulePage').then((m) => ({ default: m.SchedulePage })),
);
const FrontDeskPage = lazy(() =>
  import('./pages/desk/FrontDeskPage').then((m) => ({ default: m.FrontDeskPage })),
);
const ConsultationPage = lazy(() =>
  import('./pages/care/Consultations').then((m) => ({ default: m.ConsultationPage })),
);
const ConsultationsPage = lazy(() =>
  import('./pages/care/Consultations').then((m) => ({ default: m.ConsultationsPage })),
);
const PlansPage = lazy(() => import('./pages/care/MoneyPages').then((m) => ({ default: m.PlansPage })));
const TrialBalancePage = lazy(() =>
  import('./pages/care/MoneyPages').then((m) => ({ default: m.TrialBalancePage })),
);
const WalletPage = lazy(() => import('./pages/care/MoneyPages').then((m) => ({ default: m.WalletPage })));
const SessionPage = lazy(() => import('./pages/care/SessionPage').then((m) => ({ default: m.SessionPage })));
const SymptomsPage = lazy(() =>
  import('./pages/care/SymptomsPage').then((m) => ({ default: m.SymptomsPage })),
);

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 10_000 } } });

// A checkout tab's return page only hands the result to the booking tab: it needs no session.
if (window.location.pathname === '/payments/return') session.set(null);
else void restoreSession();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<SearchPage />} />
            <Route path="clinicians/:id" element={<ClinicianPage />} />
            <Route path="login" element={<LoginPage />} />
            <Route path="appointments" element={<AppointmentsPage />} />
            <Route path="appointments/:id" element={<AppointmentPage />} />
            <Route path="appointments/:id/receipt" element={<ReceiptPage />} />
            <Route path="profile" element={<ProfilePage />} />
            <Route path="notifications" element={<NotificationsPage />} />
            <Route path="payments/return" element={<PaymentReturnPage />} />
            <Route path="clinician/day" element={<ClinicianDayPage />} />
            <Route path="clinician/schedule" element={<SchedulePage />} />
            <Route path="front-desk" element={<FrontDeskPage />} />
            <Route path="admin" element={<AdminHome />} />
            <Route path="admin/appointments" element={<AdminAppointments />} />
            <Route path="admin/appointments/:id" element={<AdminAppointment />} />
            <Route path="admin/clinicians" element={<AdminClinicians />} />
            <Route path="admin/clinicians/:id" element={<AdminClinician />} />
            <Route path="admin/centres" element={<AdminCentres />} />
            <Route path="admin/users" element={<AdminUsers />} />
            <Route path="admin/payments" element={<AdminPayments />} />
            <Route path="admin/reconciliation" element={<AdminReconciliation />} />
            <Route path="admin/audit" element={<AdminAudit />} />
            <Route path="symptoms" element={<SymptomsPage />} />
            <Route path="consultations" element={<ConsultationsPage />} />
            <Route path="consultations/:id" element={<ConsultationPage />} />
            <Route path="sessions/:id" element={<SessionPage />} />
            <Route path="plans" element={<PlansPage />} />
            <Route path="clinician/wallet" element={<WalletPage />} />
            <Route path="admin/ledger" element={<TrialBalancePage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
