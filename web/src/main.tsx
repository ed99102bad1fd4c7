import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { Layout } from './Layout';
import { AppointmentsPage } from './pages/AppointmentsPage';
import { ClinicianDayPage } from './pages/ClinicianDayPage';
import { ClinicianPage } from './pages/ClinicianPage';
import { FrontDeskPage } from './pages/FrontDeskPage';
import { LoginPage } from './pages/LoginPage';
import { PaymentReturnPage } from './pages/PaymentReturnPage';
import { SearchPage } from './pages/SearchPage';
import './styles.css';

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 10_000 } } });

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
            <Route path="clinician/day" element={<ClinicianDayPage />} />
            <Route path="front-desk" element={<FrontDeskPage />} />
            <Route path="payments/return" element={<PaymentReturnPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
