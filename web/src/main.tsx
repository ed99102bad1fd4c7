import './i18n';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { restoreSession } from './api';
import { Layout } from './Layout';
import { NotificationsPage } from './notifications';
import { AdminAppointment, AdminAppointments } from './pages/admin/AdminAppointments';
import { AdminAudit, AdminReconciliation } from './pages/admin/AdminFinance';
import { AdminHome } from './pages/admin/AdminHome';
import { AdminCentres, AdminClinician, AdminClinicians, AdminUsers } from './pages/admin/AdminPeople';
import { ConsultationPage, ConsultationsPage } from './pages/care/Consultations';
import { PlansPage, TrialBalancePage, WalletPage } from './pages/care/MoneyPages';
import { SessionPage } from './pages/care/SessionPage';
import { SymptomsPage } from './pages/care/SymptomsPage';
import { ClinicianDayPage } from './pages/clinician/ClinicianDayPage';
import { SchedulePage } from './pages/clinician/SchedulePage';
import { FrontDeskPage } from './pages/desk/FrontDeskPage';
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

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 10_000 } } });

void restoreSession();

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
